// Walking type-length-value option lists (IPv4, TCP and DHCP share the shape).
//
// IPv4/TCP: kind 0 ends the list, kind 1 is a one-byte NOP, every other kind has a
// length byte that counts kind + length + data (so it must be >= 2).
// DHCP (RFC 2132): code 255 ends the list, code 0 is a one-byte pad, and the length
// byte counts the data only.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <span>

#include "stack/wire/errors.h"
#include "stack/wire/result.h"

namespace vnetref::wire {

struct OptionSyntax {
  uint8_t end_kind;
  uint8_t pad_kind;
  bool length_counts_header;  // true for IPv4/TCP, false for DHCP
};

inline constexpr OptionSyntax kIpTcpOptionSyntax{0, 1, true};
inline constexpr OptionSyntax kDhcpOptionSyntax{255, 0, false};

// One option. `data` excludes the kind and length bytes; empty for end and pad.
struct RawOption {
  uint8_t kind = 0;
  std::span<const uint8_t> data;
};

class OptionCursor {
 public:
  constexpr OptionCursor(std::span<const uint8_t> area, OptionSyntax syntax) : rest_(area), syntax_(syntax) {}

  // The next option, nullopt after the end option or when the area is used up, or
  // BadOption when a length byte is missing, too small, or runs past the area.
  // The end option itself is returned once (printers show it) before nullopt.
  Result<std::optional<RawOption>, ParseError> next() {
    if (done_ || rest_.empty()) return std::optional<RawOption>();
    const uint8_t kind = rest_[0];
    if (kind == syntax_.end_kind || kind == syntax_.pad_kind) {
      done_ = kind == syntax_.end_kind;
      // An empty span that still points into the area, just past the kind byte.
      RawOption opt{kind, rest_.subspan(1, 0)};
      rest_ = rest_.subspan(1);
      return std::optional<RawOption>(opt);
    }
    if (rest_.size() < 2) return Err(ParseError::BadOption);
    const size_t len = rest_[1];
    const size_t header = 2;
    size_t total = 0;
    if (syntax_.length_counts_header) {
      if (len < header) return Err(ParseError::BadOption);
      total = len;
    } else {
      total = header + len;
    }
    if (total > rest_.size()) return Err(ParseError::BadOption);
    RawOption opt{kind, rest_.subspan(header, total - header)};
    rest_ = rest_.subspan(total);
    return std::optional<RawOption>(opt);
  }

 private:
  std::span<const uint8_t> rest_;
  OptionSyntax syntax_;
  bool done_ = false;
};

// Checks that a whole option area is well formed (the parse() functions call this,
// so iterating a parsed header's options never meets an error).
inline Result<size_t, ParseError> validate_options(std::span<const uint8_t> area, OptionSyntax syntax) {
  OptionCursor c(area, syntax);
  size_t count = 0;
  for (;;) {
    auto r = c.next();
    if (!r) return Err(r.error());
    if (!r->has_value()) return count;
    ++count;
  }
}

// Range-for adaptor: `for (RawOption o : OptionRange(area, syntax))`. Stops at the
// end or at the first malformed option (callers that care use OptionCursor).
class OptionRange {
 public:
  constexpr OptionRange(std::span<const uint8_t> area, OptionSyntax syntax) : area_(area), syntax_(syntax) {}

  class iterator {
   public:
    using value_type = RawOption;
    using difference_type = std::ptrdiff_t;
    iterator() : cursor_({}, kIpTcpOptionSyntax) {}
    explicit iterator(OptionCursor c) : cursor_(c) { advance(); }
    const RawOption& operator*() const { return *current_; }
    const RawOption* operator->() const { return &*current_; }
    iterator& operator++() { advance(); return *this; }
    iterator operator++(int) { iterator t = *this; advance(); return t; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return !it.current_.has_value(); }

   private:
    void advance() {
      auto r = cursor_.next();
      current_ = r ? *r : std::nullopt;
    }
    OptionCursor cursor_;
    std::optional<RawOption> current_;
  };

  iterator begin() const { return iterator(OptionCursor(area_, syntax_)); }
  std::default_sentinel_t end() const { return {}; }

 private:
  std::span<const uint8_t> area_;
  OptionSyntax syntax_;
};

}  // namespace vnetref::wire
