// Result<T, E>: the data path's error channel (no exceptions).
//
// C++20 has no std::expected; this is the small subset vnetref needs. A Result
// holds either a value or a typed error; reading the wrong side is a programming
// error caught by an assertion in debug builds.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace vnetref::core {

// Wraps an error so `return Err(ParseError::Truncated);` converts to any Result<T, E>.
template <typename E>
struct Err {
  E error;
  constexpr explicit Err(E e) : error(std::move(e)) {}
};

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  constexpr Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  template <typename E2, typename = std::enable_if_t<std::is_convertible_v<E2, E>>>
  constexpr Result(Err<E2> e) : v_(std::in_place_index<1>, std::move(e.error)) {}  // NOLINT(implicit)

  static constexpr Result ok(T value) { return Result(std::move(value)); }
  static constexpr Result err(E error) { return Result(Err<E>(std::move(error))); }

  constexpr bool has_value() const { return v_.index() == 0; }
  constexpr explicit operator bool() const { return has_value(); }

  constexpr T& value() & {
    assert(has_value());
    return *std::get_if<0>(&v_);
  }
  constexpr const T& value() const& {
    assert(has_value());
    return *std::get_if<0>(&v_);
  }
  constexpr T&& value() && {
    assert(has_value());
    return std::move(*std::get_if<0>(&v_));
  }
  constexpr const E& error() const {
    assert(!has_value());
    return *std::get_if<1>(&v_);
  }
  constexpr T value_or(T fallback) const { return has_value() ? value() : fallback; }

  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }
  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> v_;
};

// Result<void, E>: success carries nothing.
struct Ok {};

template <typename E>
class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  constexpr Status(Ok) {}  // NOLINT(implicit)
  template <typename E2, typename = std::enable_if_t<std::is_convertible_v<E2, E>>>
  constexpr Status(Err<E2> e) : failed_(true), error_(std::move(e.error)) {}  // NOLINT(implicit)

  constexpr bool ok() const { return !failed_; }
  constexpr bool has_value() const { return !failed_; }
  constexpr explicit operator bool() const { return !failed_; }
  constexpr const E& error() const {
    assert(failed_);
    return error_;
  }

 private:
  bool failed_ = false;
  E error_{};
};

}  // namespace vnetref::core
