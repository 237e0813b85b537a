// Fuzz target: slot 15 alone (configuration + packet sequence + clock advances).
#include <cstddef>
#include <cstdint>

#include "fuzz/iochain/configs.h"
#include "fuzz/iochain/driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vnetref::iochain::fuzz;
  static const std::vector<SlotSetup> kSlots = {{15, kCryptConfigs}};
  run_input(data, size, kSlots);
  return 0;
}
