// Result<T, E>: a value or a typed error, without exceptions or heap allocation.
//
// stack/core did not provide vnetref::core::Result when this package was written,
// so wire carries its own with the agreed API (ok/err, implicit construction from T
// and from Err(e), has_value, explicit bool, value, *, ->, error). Swapping to the
// core type later is a matter of changing this header into an alias.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace vnetref::wire {

// Tag wrapper so `return Err(ParseError::Truncated);` converts into any Result<T, E>.
template <class E>
struct Err {
  E error;
  constexpr explicit Err(E e) : error(std::move(e)) {}
};

template <class T, class E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  constexpr Result(const T& v) : v_(std::in_place_index<0>, v) {}  // NOLINT: implicit by design
  constexpr Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
  template <class G, class = std::enable_if_t<std::is_convertible_v<G, E>>>
  constexpr Result(Err<G> e) : v_(std::in_place_index<1>, E(std::move(e.error))) {}

  static constexpr Result ok(T v) { return Result(std::move(v)); }
  static constexpr Result err(E e) { return Result(Err<E>(std::move(e))); }

  constexpr bool has_value() const { return v_.index() == 0; }
  constexpr explicit operator bool() const { return has_value(); }

  constexpr T& value() & { assert(has_value()); return *std::get_if<0>(&v_); }
  constexpr const T& value() const& { assert(has_value()); return *std::get_if<0>(&v_); }
  constexpr T&& value() && { assert(has_value()); return std::move(*std::get_if<0>(&v_)); }
  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }
  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }

  constexpr const E& error() const { assert(!has_value()); return *std::get_if<1>(&v_); }

  // Convenience for callers that only need a fallback.
  constexpr T value_or(T fallback) const { return has_value() ? value() : fallback; }

 private:
  std::variant<T, E> v_;
};

}  // namespace vnetref::wire
