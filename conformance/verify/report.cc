#include "conformance/verify/report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "conformance/verify/diff.h"
#include "stack/wire/pretty.h"

namespace vnetref::conformance {

namespace {

int suite_rank(const std::string& s) {
  if (s == "total") return 1000;
  if (s == "chain") return 100;
  if (s.rfind("slot", 0) == 0) {
    int n = 0;
    for (size_t i = 4; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return 200;
      n = n * 10 + (s[i] - '0');
    }
    return n;
  }
  return 200;
}

std::string pad(const std::string& s, size_t w, bool right = false) {
  if (s.size() >= w) return s;
  return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

std::string html_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default:
        // Control bytes from a vendor log must not break the document.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          o += '?';
        } else {
          o += c;
        }
    }
  }
  return o;
}

std::string xml_escape(const std::string& s) { return html_escape(s); }

std::string indent_lines(const std::string& text, const std::string& indent) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out += indent + text.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  return out;
}

std::string arrived_label(const ArrivedPacket& p) {
  std::string s = p.where;
  if (p.where == "slowpath") {
    s += " (slot " + std::to_string(p.slot) + ", meta " + wire::python_bytes_repr(p.meta) + ")";
  }
  if (!p.id.empty()) s += " id=" + p.id;
  s += ", " + std::to_string(p.bytes.size()) + " bytes";
  if (p.step_line != 0) s += ", arrived at line " + std::to_string(p.step_line);
  return s;
}

}  // namespace

bool suite_less(const std::string& a, const std::string& b) {
  const int ra = suite_rank(a);
  const int rb = suite_rank(b);
  return ra != rb ? ra < rb : a < b;
}

std::vector<SuiteTally> tally(const std::vector<CaseResult>& results) {
  std::map<std::string, SuiteTally> by;
  std::map<std::string, std::set<std::string>> clauses;
  SuiteTally total;
  total.suite = "total";
  std::set<std::string> all_clauses;
  for (const CaseResult& r : results) {
    SuiteTally& t = by[r.suite];
    t.suite = r.suite;
    for (SuiteTally* x : {&t, &total}) {
      ++x->total;
      switch (r.status) {
        case CaseStatus::kPass: ++x->pass; break;
        case CaseStatus::kFail: ++x->fail; break;
        case CaseStatus::kCrash: ++x->crash; break;
        case CaseStatus::kTimeout: ++x->timeout; break;
        case CaseStatus::kError: ++x->error; break;
        case CaseStatus::kSkip: ++x->skip; break;
      }
    }
    if (r.status != CaseStatus::kSkip) {
      for (const auto& c : r.clauses) {
        clauses[r.suite].insert(c);
        all_clauses.insert(c);
      }
    }
  }
  std::vector<SuiteTally> out;
  for (auto& [name, t] : by) {
    t.clauses = static_cast<uint32_t>(clauses[name].size());
    out.push_back(t);
  }
  std::sort(out.begin(), out.end(), [](const SuiteTally& a, const SuiteTally& b) { return suite_less(a.suite, b.suite); });
  total.clauses = static_cast<uint32_t>(all_clauses.size());
  out.push_back(total);
  return out;
}

void print_summary(const RunReport& report, std::ostream& out) {
  const auto rows = tally(report.results);
  out << pad("suite", 8) << pad("cases", 7, true) << pad("pass", 7, true) << pad("fail", 7, true)
      << pad("crash", 7, true) << pad("timeout", 9, true) << pad("error", 7, true) << pad("skip", 7, true)
      << pad("clauses", 9, true) << "  result\n";
  for (const SuiteTally& t : rows) {
    if (t.suite == "total") out << std::string(77, '-') << "\n";
    out << pad(t.suite, 8) << pad(std::to_string(t.total), 7, true) << pad(std::to_string(t.pass), 7, true)
        << pad(std::to_string(t.fail), 7, true) << pad(std::to_string(t.crash), 7, true)
        << pad(std::to_string(t.timeout), 9, true) << pad(std::to_string(t.error), 7, true)
        << pad(std::to_string(t.skip), 7, true) << pad(std::to_string(t.clauses), 9, true) << "  "
        << (t.ok() ? (t.pass == 0 ? "skipped" : "PASS") : "FAIL") << "\n";
  }
}

std::string failure_text(const CaseResult& r) {
  std::string o;
  std::string clauses;
  for (const auto& c : r.clauses) clauses += (clauses.empty() ? "" : " ") + c;
  o += "clauses: " + clauses + "\n";
  if (!r.description.empty()) o += "what it checks: " + r.description + "\n";
  if (!r.detail.empty()) o += r.detail + "\n";
  if (!r.failure) return o;
  const Failure& f = *r.failure;
  o += "first failing step: ";
  if (f.step_line != 0) {
    o += "step " + std::to_string(f.step_index + 1) + " of " + std::to_string(r.steps_total) + ", line " +
         std::to_string(f.step_line) + " (" + f.step + ")";
  } else {
    o += f.step;
  }
  o += " — " + f.kind + "\n";
  if (!f.message.empty()) o += indent_lines(f.message, "  ");
  if (!f.note.empty()) o += indent_lines(f.note, "  # ");
  if (!f.diffs.empty()) {
    o += "field differences (layer, field, expected, actual):\n";
    size_t wl = 5, wf = 5, we = 8;
    for (const FieldDiff& d : f.diffs) {
      wl = std::max(wl, d.layer.size());
      wf = std::max(wf, d.field.size());
      we = std::max(we, std::min<size_t>(d.expected.size(), 40));
    }
    for (const FieldDiff& d : f.diffs) {
      o += "  " + pad(d.layer, wl) + "  " + pad(d.field, wf) + "  expected " + pad(d.expected, we) + "  got " +
           d.actual + "\n";
    }
  }
  if (f.has_packets) {
    o += "expected packet" + std::string(f.expected_prefix ? " (prefix match)" : "") + ":\n";
    o += layer_dump(f.expected_resolved, "  ");
    o += hex_dump(f.expected_resolved, "  ");
    o += "  pattern: " + f.expected_hex + "\n";
    o += "received packet:\n";
    o += layer_dump(f.actual, "  ");
    o += hex_dump(f.actual, "  ", f.expected_resolved, true);
  } else if (!f.expected_hex.empty()) {
    o += "expected packet" + std::string(f.expected_prefix ? " (prefix match)" : "") + ":\n";
    o += layer_dump(f.expected_resolved, "  ");
    o += hex_dump(f.expected_resolved, "  ");
  }
  if (!f.arrived.empty()) {
    o += f.has_packets ? "packets that arrived (the compared one first): " : "packets that arrived and were not claimed: ";
    o += std::to_string(f.arrived.size()) + "\n";
    for (const ArrivedPacket& p : f.arrived) {
      o += "  - " + arrived_label(p) + "\n";
      o += layer_dump(p.bytes, "      ");
      o += hex_dump(p.bytes, "      ");
    }
  } else if (!f.has_packets && f.kind != "crash" && f.kind != "timeout") {
    o += "packets that arrived and were not claimed: none\n";
  }
  if (!f.chain_trace.empty()) {
    o += "what each slot did (newest last):\n";
    for (const auto& l : f.chain_trace) o += "  " + l + "\n";
  }
  if (!f.counters.empty()) {
    o += "counters:\n";
    for (const auto& c : f.counters) o += "  " + c + "\n";
  }
  if (!r.log.empty()) o += "log:\n" + indent_lines(r.log, "  ");
  return o;
}

void write_junit(const RunReport& report, std::ostream& out) {
  const auto rows = tally(report.results);
  const SuiteTally& total = rows.back();
  double total_time = 0;
  for (const auto& r : report.results) total_time += r.seconds;
  char tbuf[32];
  std::snprintf(tbuf, sizeof tbuf, "%.3f", total_time);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"vnetref-conformance\" tests=\"" << total.total << "\" failures=\"" << total.fail
      << "\" errors=\"" << total.crash + total.timeout + total.error << "\" skipped=\"" << total.skip << "\" time=\""
      << tbuf << "\">\n";
  for (const SuiteTally& t : rows) {
    if (t.suite == "total") continue;
    double st = 0;
    for (const auto& r : report.results) {
      if (r.suite == t.suite) st += r.seconds;
    }
    std::snprintf(tbuf, sizeof tbuf, "%.3f", st);
    out << "  <testsuite name=\"" << xml_escape(t.suite) << "\" tests=\"" << t.total << "\" failures=\"" << t.fail
        << "\" errors=\"" << t.crash + t.timeout + t.error << "\" skipped=\"" << t.skip << "\" time=\"" << tbuf
        << "\">\n";
    out << "    <properties><property name=\"implementation\" value=\"" << xml_escape(report.implementation)
        << "\"/></properties>\n";
    for (const CaseResult& r : report.results) {
      if (r.suite != t.suite) continue;
      std::snprintf(tbuf, sizeof tbuf, "%.3f", r.seconds);
      out << "    <testcase name=\"" << xml_escape(r.case_name) << "\" classname=\"conformance." << xml_escape(r.suite)
          << "\" file=\"" << xml_escape(r.file) << "\" time=\"" << tbuf << "\"";
      if (r.status == CaseStatus::kPass) {
        out << "/>\n";
        continue;
      }
      out << ">\n";
      if (r.status == CaseStatus::kSkip) {
        out << "      <skipped message=\"" << xml_escape(r.detail) << "\"/>\n";
      } else {
        const char* tag = r.status == CaseStatus::kFail ? "failure" : "error";
        std::string msg = r.failure ? r.failure->message : r.detail;
        if (const size_t nl = msg.find('\n'); nl != std::string::npos) msg = msg.substr(0, nl);
        out << "      <" << tag << " type=\"" << name_of(r.status) << "\" message=\"" << xml_escape(msg) << "\">"
            << xml_escape(failure_text(r)) << "</" << tag << ">\n";
      }
      out << "    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

namespace {

// Hex of `frame` with bytes that differ from `other` highlighted.
std::string html_hex(const std::vector<uint8_t>& frame, const std::vector<uint8_t>* other) {
  std::string o = "<pre class=\"hex\">";
  char buf[32];
  for (size_t off = 0; off < frame.size(); off += 16) {
    std::snprintf(buf, sizeof buf, "%04zx  ", off);
    o += buf;
    for (size_t i = off; i < std::min(frame.size(), off + 16); ++i) {
      std::snprintf(buf, sizeof buf, "%02x", frame[i]);
      const bool diff = other != nullptr && (i >= other->size() || (*other)[i] != frame[i]);
      o += diff ? std::string("<mark>") + buf + "</mark>" : std::string(buf);
      o += i - off == 7 ? "  " : " ";
    }
    o += "\n";
  }
  return o + "</pre>";
}

std::string html_layers(const std::vector<uint8_t>& frame) {
  return "<pre class=\"layers\">" + html_escape(wire::describe_frame(frame)) + "</pre>";
}

std::string html_failure(const CaseResult& r) {
  std::string o;
  if (!r.detail.empty()) o += "<p class=\"detail\">" + html_escape(r.detail) + "</p>";
  if (!r.failure) return o;
  const Failure& f = *r.failure;
  o += "<p><b>First failing step:</b> ";
  if (f.step_line != 0) {
    o += "step " + std::to_string(f.step_index + 1) + " of " + std::to_string(r.steps_total) + ", line " +
         std::to_string(f.step_line) + " (<code>" + html_escape(f.step) + "</code>)";
  } else {
    o += html_escape(f.step);
  }
  o += " &mdash; " + html_escape(f.kind) + "</p>";
  if (!f.message.empty()) o += "<pre class=\"msg\">" + html_escape(f.message) + "</pre>";
  if (!f.note.empty()) o += "<pre class=\"note\">" + html_escape(f.note) + "</pre>";
  if (!f.diffs.empty()) {
    o += "<table class=\"diff\"><tr><th>layer</th><th>field</th><th>expected</th><th>actual</th></tr>";
    for (const FieldDiff& d : f.diffs) {
      o += "<tr><td>" + html_escape(d.layer) + "</td><td><code>" + html_escape(d.field) + "</code></td><td>" +
           html_escape(d.expected) + "</td><td>" + html_escape(d.actual) + "</td></tr>";
    }
    o += "</table>";
  }
  if (f.has_packets) {
    o += "<div class=\"pair\"><div><h4>expected" + std::string(f.expected_prefix ? " (prefix)" : "") + "</h4>" +
         html_layers(f.expected_resolved) + html_hex(f.expected_resolved, &f.actual) +
         "<p class=\"pattern\">pattern <code>" + html_escape(f.expected_hex) + "</code></p></div>";
    o += "<div><h4>received</h4>" + html_layers(f.actual) + html_hex(f.actual, &f.expected_resolved) + "</div></div>";
  } else if (!f.expected_hex.empty()) {
    o += "<h4>expected (never arrived)</h4>" + html_layers(f.expected_resolved) + html_hex(f.expected_resolved, nullptr);
  }
  if (!f.arrived.empty()) {
    o += "<h4>" + std::string(f.has_packets ? "packets that arrived (compared one first)" : "packets that arrived and were not claimed") +
         ": " + std::to_string(f.arrived.size()) + "</h4><ol class=\"arrived\">";
    for (const ArrivedPacket& p : f.arrived) {
      o += "<li>" + html_escape(arrived_label(p)) + html_layers(p.bytes) + html_hex(p.bytes, nullptr) + "</li>";
    }
    o += "</ol>";
  }
  if (!f.chain_trace.empty()) {
    o += "<details><summary>what each slot did</summary><pre>";
    for (const auto& l : f.chain_trace) o += html_escape(l) + "\n";
    o += "</pre></details>";
  }
  if (!f.counters.empty()) {
    o += "<details><summary>counters</summary><pre>";
    for (const auto& c : f.counters) o += html_escape(c) + "\n";
    o += "</pre></details>";
  }
  return o;
}

constexpr const char* kStyle = R"(
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.4em} table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right} th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
.pass{color:#166534}.fail,.crash,.timeout,.error{color:#b91c1c;font-weight:bold}.skip{color:#777}
details.case{border:1px solid #ddd;border-radius:4px;margin:4px 0;padding:4px 8px}
details.case>summary{cursor:pointer} .badge{display:inline-block;min-width:5em;font-family:monospace}
pre{background:#f8f8f8;padding:6px;overflow-x:auto;font-size:12px} mark{background:#fca5a5}
.pair{display:flex;gap:1em;flex-wrap:wrap}.pair>div{flex:1;min-width:420px}
table.diff td{text-align:left;font-family:monospace}
#controls{margin:1em 0} .hidden{display:none}
)";

constexpr const char* kScript = R"(
function apply(){var only=document.getElementById('onlyfail').checked;
var q=document.getElementById('q').value.toLowerCase();
document.querySelectorAll('details.case').forEach(function(d){
var bad=d.dataset.status!='pass'&&d.dataset.status!='skip';
var hit=q==''||d.dataset.name.indexOf(q)>=0;
d.classList.toggle('hidden',(only&&!bad)||!hit);});}
)";

}  // namespace

void write_html(const RunReport& report, std::ostream& out) {
  const auto rows = tally(report.results);
  const SuiteTally& total = rows.back();
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<title>vnetref conformance: " << html_escape(report.implementation) << "</title><style>" << kStyle
      << "</style><script>" << kScript << "</script></head><body>\n";
  out << "<h1>vnetref conformance report</h1>\n<p>Implementation under test: <code>"
      << html_escape(report.implementation) << "</code><br>Suites: <code>" << html_escape(report.suites_dir)
      << "</code><br>Result: <span class=\"" << (total.ok() ? "pass" : "fail") << "\">"
      << (total.ok() ? "all cases that ran passed" : "FAILURES") << "</span> &mdash; " << total.pass << " passed, "
      << total.fail + total.crash + total.timeout + total.error << " failed, " << total.skip << " skipped of "
      << total.total << "</p>\n";
  for (const auto& n : report.notes) out << "<p>" << html_escape(n) << "</p>\n";
  out << "<table><tr><th>suite</th><th>cases</th><th>pass</th><th>fail</th><th>crash</th><th>timeout</th>"
         "<th>error</th><th>skip</th><th>clauses</th></tr>\n";
  for (const SuiteTally& t : rows) {
    out << "<tr><td>" << (t.suite == "total" ? "<b>total</b>" : "<a href=\"#" + t.suite + "\">" + t.suite + "</a>")
        << "</td><td>" << t.total << "</td><td class=\"pass\">" << t.pass << "</td><td class=\""
        << (t.fail ? "fail" : "") << "\">" << t.fail << "</td><td class=\"" << (t.crash ? "crash" : "") << "\">"
        << t.crash << "</td><td class=\"" << (t.timeout ? "timeout" : "") << "\">" << t.timeout << "</td><td class=\""
        << (t.error ? "error" : "") << "\">" << t.error << "</td><td class=\"skip\">" << t.skip << "</td><td>"
        << t.clauses << "</td></tr>\n";
  }
  out << "</table>\n<div id=\"controls\"><label><input type=\"checkbox\" id=\"onlyfail\" onchange=\"apply()\"> "
         "only failures</label> &nbsp; <input id=\"q\" placeholder=\"filter by name or clause\" oninput=\"apply()\">"
         "</div>\n";
  for (const SuiteTally& t : rows) {
    if (t.suite == "total") continue;
    out << "<h2 id=\"" << t.suite << "\">" << t.suite << "</h2>\n";
    for (const CaseResult& r : report.results) {
      if (r.suite != t.suite) continue;
      std::string clauses;
      for (const auto& c : r.clauses) clauses += (clauses.empty() ? "" : " ") + c;
      std::string key = r.case_name + " " + clauses;
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      const bool bad = counts_as_failure(r.status);
      out << "<details class=\"case\" data-status=\"" << name_of(r.status) << "\" data-name=\"" << html_escape(key)
          << "\"" << (bad ? " open" : "") << "><summary><span class=\"badge " << name_of(r.status) << "\">"
          << name_of(r.status) << "</span> " << html_escape(r.case_name) << " <small>[" << html_escape(clauses)
          << "]</small></summary>\n";
      out << "<p>" << html_escape(r.description) << "<br><small>" << html_escape(r.file) << " &middot; "
          << r.steps_run << "/" << r.steps_total << " steps";
      if (!r.implementation.empty()) out << " &middot; " << html_escape(r.implementation);
      out << "</small></p>\n";
      if (r.status != CaseStatus::kPass) out << html_failure(r);
      if (!r.log.empty() && r.status != CaseStatus::kPass) {
        out << "<details><summary>log</summary><pre>" << html_escape(r.log) << "</pre></details>";
      }
      out << "</details>\n";
    }
  }
  out << "</body></html>\n";
}

ProgressBar::ProgressBar(std::ostream& out, size_t total, bool enabled) : out_(out), total_(total), enabled_(enabled) {}

void ProgressBar::update(size_t done, const std::string& label, uint32_t failed) {
  if (!enabled_ || total_ == 0) return;
  constexpr size_t kWidth = 30;
  const size_t fill = done * kWidth / total_;
  std::string line = "\r[" + std::string(fill, '#') + std::string(kWidth - fill, '.') + "] " + std::to_string(done) +
                     "/" + std::to_string(total_);
  if (failed != 0) line += " (" + std::to_string(failed) + " failed)";
  line += " " + label.substr(0, 50);
  const size_t len = line.size();
  if (len < last_len_) line += std::string(last_len_ - len, ' ');
  last_len_ = len;
  out_ << line << std::flush;
}

void ProgressBar::finish() {
  if (!enabled_ || last_len_ == 0) return;
  out_ << "\r" << std::string(last_len_, ' ') << "\r" << std::flush;
  last_len_ = 0;
}

}  // namespace vnetref::conformance
