// Fuzz target: the whole chain (slots 0, 1, 2, 5, 15 together).
#include <cstddef>
#include <cstdint>

#include "fuzz/iochain/configs.h"
#include "fuzz/iochain/driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vnetref::iochain::fuzz;
  static const std::vector<SlotSetup> kSlots = {
      {2, kDfwConfigs}, {0, kAclConfigs}, {1, kSwsecConfigs}, {5, kSvcConfigs}, {15, kCryptConfigs}};
  run_input(data, size, kSlots);
  return 0;
}
