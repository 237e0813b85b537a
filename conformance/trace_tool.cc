// trace_tool: work with golden traces without running them.
//   trace_tool check FILE...            parse; print every error with its line (exit 1 on any)
//   trace_tool fmt FILE                 print the trace in the canonical layout
//   trace_tool pcapng FILE OUT.pcapng   export inputs and expectations for Wireshark
//   trace_tool pcapng-all DIR OUTDIR    export every *.trace under DIR
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "conformance/trace/parser.h"
#include "conformance/trace/pcapng_export.h"
#include "conformance/trace/writer.h"

namespace fs = std::filesystem;
using namespace vnetref::conformance;  // NOLINT(build/namespaces): a main file

namespace {

bool read(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::optional<Trace> load(const std::string& path) {
  std::string text;
  if (!read(path, text)) {
    std::cerr << path << ": cannot read\n";
    return std::nullopt;
  }
  auto t = parse_trace(text);
  if (!t) {
    std::cerr << path << ": " << t.error().to_string() << "\n";
    return std::nullopt;
  }
  return std::move(*t);
}

bool export_one(const std::string& in, const std::string& out) {
  auto t = load(in);
  if (!t) return false;
  std::ofstream f(out, std::ios::binary);
  const PcapngExportStats s = export_pcapng(*t, f);
  f.close();
  if (!f) {
    std::cerr << out << ": cannot write\n";
    return false;
  }
  std::cout << out << ": " << s.inputs << " input, " << s.expected << " expected packets\n";
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: trace_tool check FILE... | fmt FILE | pcapng FILE OUT.pcapng | pcapng-all DIR OUTDIR\n";
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "check") {
    int bad = 0;
    for (int i = 2; i < argc; ++i) bad += load(argv[i]) ? 0 : 1;
    std::cout << (argc - 2 - bad) << " traces parse, " << bad << " do not\n";
    return bad == 0 ? 0 : 1;
  }
  if (cmd == "fmt" && argc == 3) {
    auto t = load(argv[2]);
    if (!t) return 1;
    std::cout << format_trace(*t);
    return 0;
  }
  if (cmd == "pcapng" && argc == 4) return export_one(argv[2], argv[3]) ? 0 : 1;
  if (cmd == "pcapng-all" && argc == 4) {
    fs::create_directories(argv[3]);
    int bad = 0;
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(argv[2])) {
      if (e.is_regular_file() && e.path().extension() == ".trace") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files) {
      const std::string out = (fs::path(argv[3]) / (p.parent_path().filename().string() + "_" + p.stem().string() + ".pcapng")).string();
      bad += export_one(p.string(), out) ? 0 : 1;
    }
    return bad == 0 ? 0 : 1;
  }
  std::cerr << "trace_tool: unknown command or wrong arguments\n";
  return 2;
}
