// The verifier's outputs: terminal progress and summary, failure details, JUnit XML
// for CI, and a self-contained HTML report a person can browse.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "conformance/verify/result.h"

namespace vnetref::conformance {

struct RunReport {
  std::string implementation;
  std::string suites_dir;
  std::vector<CaseResult> results;
  // Optional extras shown in the HTML report and the summary.
  std::vector<std::string> notes;
};

struct SuiteTally {
  std::string suite;
  uint32_t total = 0, pass = 0, fail = 0, crash = 0, timeout = 0, error = 0, skip = 0;
  uint32_t clauses = 0;  // distinct clauses named by the suite's cases that ran
  bool ok() const { return fail + crash + timeout + error == 0; }
};

// Per suite (slot0, slot1, slot2, slot4..slot12, slot15, chain order), plus a "total" row last.
std::vector<SuiteTally> tally(const std::vector<CaseResult>& results);
// Suite names in the order reports list them.
bool suite_less(const std::string& a, const std::string& b);

// The summary table.
void print_summary(const RunReport& report, std::ostream& out);
// Everything about one failing case, as plain text (terminal and JUnit bodies).
std::string failure_text(const CaseResult& r);

void write_junit(const RunReport& report, std::ostream& out);
void write_html(const RunReport& report, std::ostream& out);

// A one-line progress bar redrawn in place (only used when stderr is a terminal).
class ProgressBar {
 public:
  ProgressBar(std::ostream& out, size_t total, bool enabled);
  void update(size_t done, const std::string& label, uint32_t failed);
  void finish();

 private:
  std::ostream& out_;
  size_t total_;
  bool enabled_;
  size_t last_len_ = 0;
};

}  // namespace vnetref::conformance
