#include "stack/core/log.h"

#include <cstdio>

namespace vnetref::core {

const char* name_of(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace: return "TRACE";
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
    case LogLevel::kOff: return "OFF";
  }
  return "?";
}

Logger::Logger(const Clock& clock, size_t capacity, LogLevel level)
    : clock_(clock), level_(level), ring_(capacity == 0 ? 1 : capacity) {}

void Logger::log(LogLevel l, const char* component, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  LogRecord& r = ring_[head_];
  if (count_ == ring_.size()) {
    ++overwritten_;
  } else {
    ++count_;
  }
  r.time = clock_.now();
  r.level = l;
  r.component = component;
  r.text = buf;
  head_ = (head_ + 1) % ring_.size();
  ++logged_;
  if (sink_) sink_(r);
}

std::vector<LogRecord> Logger::records() const {
  std::vector<LogRecord> out;
  out.reserve(count_);
  size_t start = (head_ + ring_.size() - count_) % ring_.size();
  for (size_t i = 0; i < count_; ++i) out.push_back(ring_[(start + i) % ring_.size()]);
  return out;
}

std::string Logger::format(const LogRecord& r) {
  char head[64];
  int64_t ns = to_nanos(r.time);
  std::snprintf(head, sizeof head, "%lld.%09lld %-5s ", static_cast<long long>(ns / 1000000000),
                static_cast<long long>(ns % 1000000000), name_of(r.level));
  return std::string(head) + r.component + ": " + r.text;
}

}  // namespace vnetref::core
