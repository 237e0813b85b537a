// A bounded, cheap logger.
//
// Records go to a fixed ring allocated up front (the oldest is overwritten and
// counted), optionally also to a sink. The level check is one compare, and
// formatting happens only for enabled levels, so a disabled log line on the data
// path costs a branch. Timestamps come from the injected clock: logs of virtual-time
// runs are reproducible.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "stack/core/clock.h"

namespace vnetref::core {

enum class LogLevel : uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };
const char* name_of(LogLevel l);

struct LogRecord {
  Instant time;
  LogLevel level;
  std::string component;
  std::string text;
};

class Logger {
 public:
  explicit Logger(const Clock& clock, size_t capacity = 1024, LogLevel level = LogLevel::kWarn);

  bool enabled(LogLevel l) const { return l >= level_; }
  void set_level(LogLevel l) { level_ = l; }
  LogLevel level() const { return level_; }
  void set_sink(std::function<void(const LogRecord&)> sink) { sink_ = std::move(sink); }

  void log(LogLevel l, const char* component, const char* fmt, ...) __attribute__((format(printf, 4, 5)));

  // Oldest first.
  std::vector<LogRecord> records() const;
  uint64_t overwritten() const { return overwritten_; }
  uint64_t logged() const { return logged_; }
  static std::string format(const LogRecord& r);

 private:
  const Clock& clock_;
  LogLevel level_;
  std::vector<LogRecord> ring_;
  size_t head_ = 0;  // next write position
  size_t count_ = 0;
  uint64_t overwritten_ = 0;
  uint64_t logged_ = 0;
  std::function<void(const LogRecord&)> sink_;
};

#define VNETREF_LOG(logger, lvl, component, ...)                                \
  do {                                                                          \
    if ((logger).enabled(lvl)) (logger).log((lvl), (component), __VA_ARGS__);   \
  } while (0)

}  // namespace vnetref::core
