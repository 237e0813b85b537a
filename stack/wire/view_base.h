// Shared vocabulary for the header views.
//
// Every protocol has one view class template over a byte type B: with B = const
// uint8_t it is a read-only view (XxxView), with B = uint8_t it adds setters
// (XxxViewMut). Views never own memory, never allocate, and only exist after parse()
// checked that every byte an accessor may read is inside the span.
#pragma once

#include <concepts>
#include <cstdint>
#include <type_traits>

namespace vnetref::wire {

template <class B>
concept ByteType = std::same_as<B, uint8_t> || std::same_as<B, const uint8_t>;

template <class B>
concept MutableByte = std::same_as<B, uint8_t>;

}  // namespace vnetref::wire
