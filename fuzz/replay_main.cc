// Replays corpus inputs through LLVMFuzzerTestOneInput, once each.
//
// Used as the regression test of every fuzz target (so `bazel test //...` exercises
// every corpus without clang) and as the "engine" of a fuzz binary built without
// --config=fuzz / --config=afl. Arguments are files or directories (recursed).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

bool ReplayFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot open %s\n", path.c_str());
    return false;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  size_t replayed = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!arg.empty() && arg[0] == '-') continue;  // libFuzzer-style flags are ignored here
    std::filesystem::path p(arg);
    if (std::filesystem::is_directory(p)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());  // deterministic order
      for (const auto& f : files) {
        ok = ReplayFile(f) && ok;
        ++replayed;
      }
    } else if (std::filesystem::is_regular_file(p)) {
      ok = ReplayFile(p) && ok;
      ++replayed;
    } else {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", arg.c_str());
      ok = false;
    }
  }
  std::printf("replay: %zu inputs executed without a crash\n", replayed);
  if (replayed == 0) {
    std::fprintf(stderr, "replay: no inputs given (an empty corpus is an error)\n");
    return 1;
  }
  return ok ? 0 : 1;
}
