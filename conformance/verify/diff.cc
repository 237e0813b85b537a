#include "conformance/verify/diff.h"

#include <algorithm>
#include <cstdio>

#include "stack/wire/pretty.h"

namespace vnetref::conformance {

std::vector<FieldDiff> diff_packets(std::span<const uint8_t> expected, std::span<const uint8_t> actual, bool prefix) {
  std::vector<FieldDiff> out;
  // A prefix expectation only speaks about its own bytes: compare the actual packet
  // cut to the same length, so the layers it leaves out are not reported.
  const std::span<const uint8_t> act =
      prefix && actual.size() > expected.size() ? actual.first(expected.size()) : actual;
  const auto e = wire::dissect(expected);
  const auto a = wire::dissect(act);
  const size_t n = std::max(e.size(), a.size());
  for (size_t i = 0; i < n; ++i) {
    if (i >= e.size()) {
      out.push_back(FieldDiff{a[i].layer, a[i].layer, "(absent)", a[i].summary});
      continue;
    }
    if (i >= a.size()) {
      out.push_back(FieldDiff{e[i].layer, e[i].layer, e[i].summary, "(absent)"});
      continue;
    }
    const wire::LayerFields& el = e[i];
    const wire::LayerFields& al = a[i];
    if (el.layer != al.layer) {
      // Different protocols from here on: one line says it; field lists would be noise.
      out.push_back(FieldDiff{el.layer, "layer " + std::to_string(i), el.layer + " (" + el.summary + ")",
                              al.layer + " (" + al.summary + ")"});
      break;
    }
    if (el.error != al.error) {
      out.push_back(FieldDiff{el.layer, el.layer + " parse", el.error.empty() ? "ok" : el.error,
                              al.error.empty() ? "ok" : al.error});
    }
    for (const auto& [name, value] : el.fields) {
      const std::string* other = al.find(name);
      if (other == nullptr) {
        out.push_back(FieldDiff{el.layer, name, value, "(absent)"});
      } else if (*other != value) {
        out.push_back(FieldDiff{el.layer, name, value, *other});
      }
    }
    for (const auto& [name, value] : al.fields) {
      if (el.find(name) == nullptr) out.push_back(FieldDiff{al.layer, name, "(absent)", value});
    }
  }
  if (out.empty() && !prefix && expected.size() != actual.size()) {
    out.push_back(FieldDiff{"frame", "len", std::to_string(expected.size()), std::to_string(actual.size())});
  }
  if (out.empty() && !std::equal(expected.begin(), expected.end(), act.begin(), act.end())) {
    // Bytes the dissector does not name (e.g. inside an option it skips).
    for (size_t i = 0; i < std::min(expected.size(), act.size()); ++i) {
      if (expected[i] != act[i]) {
        char e_buf[8];
        char a_buf[8];
        std::snprintf(e_buf, sizeof e_buf, "%02x", expected[i]);
        std::snprintf(a_buf, sizeof a_buf, "%02x", act[i]);
        out.push_back(FieldDiff{"frame", "byte " + std::to_string(i), e_buf, a_buf});
        break;
      }
    }
  }
  return out;
}

std::string format_diff(const FieldDiff& d) { return d.field + " expected " + d.expected + " got " + d.actual; }

std::string layer_dump(std::span<const uint8_t> frame, const std::string& indent) {
  std::string out;
  const std::string text = wire::describe_frame(frame);
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out += indent + text.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  return out;
}

std::string hex_dump(std::span<const uint8_t> frame, const std::string& indent, std::span<const uint8_t> other,
                     bool mark) {
  std::string out;
  char buf[32];
  for (size_t off = 0; off < frame.size(); off += 16) {
    std::snprintf(buf, sizeof buf, "%04zx  ", off);
    std::string line = indent + buf;
    std::string marks = std::string(indent.size() + 6, ' ');
    bool any = false;
    for (size_t i = off; i < std::min(frame.size(), off + 16); ++i) {
      std::snprintf(buf, sizeof buf, "%02x ", frame[i]);
      line += buf;
      const bool differs = mark && (i >= other.size() || other[i] != frame[i]);
      marks += differs ? "^^ " : "   ";
      any = any || differs;
      if (i - off == 7) {
        line += ' ';
        marks += ' ';
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (any) {
      while (!marks.empty() && marks.back() == ' ') marks.pop_back();
      out += marks + "\n";
    }
  }
  return out;
}

}  // namespace vnetref::conformance
