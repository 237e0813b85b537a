// conformance:verify — runs golden-trace suites against an implementation of one or
// more IOChain slots and reports: progress, per-slot summary, first failing step of
// every failing case with a field-level diff, JUnit XML and a self-contained HTML
// report. Exit status 0 only when every case that ran passed.
#include <fnmatch.h>
#include <algorithm>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "conformance/trace/parser.h"
#include "conformance/verify/implementations.h"
#include "conformance/verify/isolate.h"
#include "conformance/verify/reference.h"
#include "conformance/verify/report.h"
#include "conformance/verify/runner.h"

namespace fs = std::filesystem;
using namespace vnetref::conformance;  // NOLINT(build/namespaces): a main file

namespace {

constexpr const char* kUsage = R"(usage: verify [options]

Runs the conformance suites (golden traces) against an implementation.

  --impl reference|PATH.so|cmd:COMMAND
                      what to verify (default: reference). PATH.so is a library
                      built against include/vnetref/filter_abi.h; cmd:COMMAND runs
                      COMMAND (via /bin/sh) once per filter and speaks
                      conformance/PROTOCOL.md with it
  --suites DIR        the suites directory (default: conformance/suites)
  --slot N|chain      only cases that configure slot N (repeatable)
  --suite NAME        only the suite NAME: slot0, slot2, ..., chain (repeatable)
  --case PATTERN      only cases whose name matches the glob PATTERN (repeatable)
  --junit FILE        write JUnit XML
  --results FILE      write one line per case: status, suite, case (tab-separated)
  --html FILE         write the HTML report (default: out/conformance/report.html)
  --timeout-ms N      time limit per case (default 10000)
  --no-fork           run cases in this process (debugging; a crash ends the run)
  --list              list the selected cases and exit
  --verbose           print every case, not only failures
  --quiet             no failure details on the terminal (summary only)
  -h, --help          this text

Exit status: 0 when every case that ran passed, 1 when any failed, 2 on usage or
setup errors.
)";

struct Options {
  std::string impl = "reference";
  std::string suites;
  std::vector<std::string> slots;
  std::vector<std::string> suites_only;
  std::vector<std::string> cases;
  std::string junit;
  std::string results;
  std::string html = "out/conformance/report.html";
  int64_t timeout_ms = 10000;
  bool fork = true;
  bool list = false;
  bool verbose = false;
  bool quiet = false;
};

struct Loaded {
  std::string file;
  std::optional<Trace> trace;
  std::string error;
  std::string suite_dir;
};

std::string default_suites() {
  // Run from the workspace (bazel run sets BUILD_WORKSPACE_DIRECTORY) or from any
  // directory inside a checkout.
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY")) return std::string(ws) + "/conformance/suites";
  fs::path p = fs::current_path();
  for (int i = 0; i < 8; ++i) {
    if (fs::is_directory(p / "conformance" / "suites")) return (p / "conformance" / "suites").string();
    if (!p.has_parent_path() || p.parent_path() == p) break;
    p = p.parent_path();
  }
  return "conformance/suites";
}

bool wanted(const Options& o, const Loaded& l) {
  const std::string suite = l.trace ? l.trace->suite() : l.suite_dir;
  const std::string name = l.trace ? l.trace->case_name : fs::path(l.file).stem().string();
  if (!o.suites_only.empty() && std::find(o.suites_only.begin(), o.suites_only.end(), suite) == o.suites_only.end()) {
    return false;
  }
  if (!o.slots.empty()) {
    bool hit = false;
    for (const std::string& s : o.slots) {
      if (s == "chain") hit = hit || suite == "chain";
      else if (l.trace) {
        for (const FilterSpec& f : l.trace->filters) hit = hit || std::to_string(f.slot) == s;
      } else {
        hit = hit || suite == "slot" + s;
      }
    }
    if (!hit) return false;
  }
  if (!o.cases.empty()) {
    bool hit = false;
    for (const std::string& c : o.cases) hit = hit || fnmatch(c.c_str(), name.c_str(), 0) == 0;
    if (!hit) return false;
  }
  return true;
}

std::vector<Loaded> load_all(const std::string& dir) {
  std::vector<Loaded> out;
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".trace") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    Loaded l;
    l.file = f.string();
    l.suite_dir = f.parent_path().filename().string();
    std::ifstream in(f, std::ios::binary);
    std::string text;
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    if (!in) {
      l.error = "cannot read " + l.file;
    } else {
      auto t = parse_trace(text);
      if (t) {
        l.trace = std::move(*t);
      } else {
        l.error = l.file + ": " + t.error().to_string();
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

int usage_error(const std::string& msg) {
  std::cerr << "verify: " << msg << "\n(try --help)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&](std::string& dst) -> bool {
      if (i + 1 >= argc) return false;
      dst = argv[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--impl") {
      if (!value(o.impl)) return usage_error("--impl needs a value");
    } else if (a.rfind("--impl=", 0) == 0) {
      o.impl = a.substr(7);
    } else if (a == "--suites") {
      if (!value(o.suites)) return usage_error("--suites needs a directory");
    } else if (a == "--slot") {
      if (!value(v)) return usage_error("--slot needs a slot number or chain");
      o.slots.push_back(v);
    } else if (a == "--suite") {
      if (!value(v)) return usage_error("--suite needs a name");
      o.suites_only.push_back(v);
    } else if (a == "--case") {
      if (!value(v)) return usage_error("--case needs a pattern");
      o.cases.push_back(v);
    } else if (a == "--junit") {
      if (!value(o.junit)) return usage_error("--junit needs a file");
    } else if (a == "--results") {
      if (!value(o.results)) return usage_error("--results needs a file");
    } else if (a == "--html") {
      if (!value(o.html)) return usage_error("--html needs a file");
    } else if (a == "--timeout-ms") {
      if (!value(v)) return usage_error("--timeout-ms needs a number");
      o.timeout_ms = std::atoll(v.c_str());
      if (o.timeout_ms <= 0 || o.timeout_ms > 3600000) return usage_error("--timeout-ms must be 1..3600000");
    } else if (a == "--no-fork") {
      o.fork = false;
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (a == "--quiet") {
      o.quiet = true;
    } else {
      return usage_error("unknown argument \"" + a + "\"");
    }
  }
  if (o.suites.empty()) o.suites = default_suites();
  if (!fs::is_directory(o.suites)) return usage_error("suites directory " + o.suites + " does not exist");

  std::vector<Loaded> all = load_all(o.suites);
  std::vector<Loaded> selected;
  for (auto& l : all) {
    if (wanted(o, l)) selected.push_back(std::move(l));
  }
  if (o.list) {
    for (const Loaded& l : selected) {
      if (!l.trace) {
        std::cout << "(unparsable) " << l.error << "\n";
        continue;
      }
      std::string clauses;
      for (const auto& c : l.trace->clauses) clauses += " " + c;
      std::cout << l.trace->suite() << "/" << l.trace->case_name << " [" << clauses.substr(1) << "] " << l.file << "\n";
    }
    return 0;
  }
  if (selected.empty()) return usage_error("no case matches the filters in " + o.suites);

  // dlopen() searches the library path for a bare name; a vendor means the file here.
  if (o.impl != "reference" && o.impl.rfind("cmd:", 0) != 0 && !o.impl.empty() && o.impl[0] != '/') {
    o.impl = fs::absolute(o.impl).lexically_normal().string();
  }
  auto iut = make_implementation(o.impl, reference_entry());
  if (!iut) {
    std::cerr << "verify: cannot load the implementation: " << iut.error() << "\n";
    return 2;
  }
  std::unique_ptr<Implementation> ref_holder;
  Implementation* reference = iut->get();
  if (o.impl != "reference") {
    auto r = make_implementation("reference", reference_entry());
    if (!r) {
      std::cerr << "verify: cannot load the reference: " << r.error() << "\n";
      return 2;
    }
    ref_holder = std::move(*r);
    reference = ref_holder.get();
  }

  RunReport report;
  report.implementation = (*iut)->name();
  report.suites_dir = fs::absolute(o.suites).lexically_normal().string();
  const bool tty = isatty(STDERR_FILENO) != 0;
  ProgressBar bar(std::cerr, selected.size(), tty);
  std::cout << "verify: " << selected.size() << " cases from " << report.suites_dir << " against "
            << report.implementation << "\n"
            << std::flush;
  IsolateOptions iso;
  iso.timeout = std::chrono::milliseconds(o.timeout_ms);
  uint32_t failed = 0;
  for (size_t i = 0; i < selected.size(); ++i) {
    const Loaded& l = selected[i];
    CaseResult r;
    if (!l.trace) {
      r.suite = l.suite_dir;
      r.case_name = fs::path(l.file).stem().string();
      r.file = l.file;
      r.implementation = report.implementation;
      r.status = CaseStatus::kError;
      r.detail = "the trace does not parse: " + l.error;
    } else {
      bar.update(i, l.trace->suite() + "/" + l.trace->case_name, failed);
      r = o.fork ? run_isolated(*l.trace, l.file, **iut, *reference, iso)
                 : run_case(*l.trace, l.file, **iut, *reference);
    }
    if (counts_as_failure(r.status)) {
      ++failed;
      if (!tty || o.verbose) {
        std::cout << name_of(r.status) << " " << r.suite << "/" << r.case_name << "\n" << std::flush;
      }
    } else if (o.verbose) {
      bar.finish();
      std::cout << name_of(r.status) << " " << r.suite << "/" << r.case_name
                << (r.status == CaseStatus::kSkip ? " (" + r.detail + ")" : "") << "\n"
                << std::flush;
    }
    report.results.push_back(std::move(r));
  }
  bar.update(selected.size(), "done", failed);
  bar.finish();

  if (!o.quiet) {
    for (const CaseResult& r : report.results) {
      if (!counts_as_failure(r.status)) continue;
      std::cout << "\n=== " << name_of(r.status) << ": " << r.suite << "/" << r.case_name << "  (" << r.file << ")\n"
                << failure_text(r);
    }
  }
  std::cout << "\n";
  print_summary(report, std::cout);
  const auto rows = tally(report.results);
  const SuiteTally& total = rows.back();

  int rc = total.ok() && total.pass > 0 ? 0 : 1;
  if (!o.junit.empty()) {
    fs::create_directories(fs::absolute(o.junit).parent_path());
    std::ofstream j(o.junit);
    write_junit(report, j);
    if (!j) {
      std::cerr << "verify: cannot write " << o.junit << "\n";
      rc = 2;
    } else {
      std::cout << "JUnit XML: " << fs::absolute(o.junit).lexically_normal().string() << "\n";
    }
  }
  if (!o.results.empty()) {
    std::ofstream r(o.results);
    for (const CaseResult& c : report.results) r << name_of(c.status) << '\t' << c.suite << '\t' << c.case_name << '\n';
    if (!r) {
      std::cerr << "verify: cannot write " << o.results << "\n";
      rc = 2;
    }
  }
  fs::create_directories(fs::absolute(o.html).parent_path());
  std::ofstream h(o.html);
  write_html(report, h);
  h.close();
  if (!h) {
    std::cerr << "verify: cannot write " << o.html << "\n";
    rc = 2;
  }
  std::cout << "verify: " << total.pass << " passed, " << total.fail + total.crash + total.timeout + total.error
            << " failed, " << total.skip << " skipped (" << report.implementation << ")\n";
  if (total.pass == 0 && total.ok()) std::cout << "verify: no case ran (everything was skipped)\n";
  std::cout << "HTML report: " << fs::absolute(o.html).lexically_normal().string() << "\n";
  return rc;
}
