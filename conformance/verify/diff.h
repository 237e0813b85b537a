// Field-level comparison of an expected and an actual packet, in Scapy's names
// (wire::dissect), so a failure reads "TCP.flags expected RA got R" instead of
// "byte 47 differs".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "conformance/verify/result.h"

namespace vnetref::conformance {

// `expected` should already have its don't-care nibbles filled from `actual`
// (PacketPattern::resolve_with) so wildcards never show up as differences. With
// `prefix`, layers and bytes beyond the expected length are not compared.
std::vector<FieldDiff> diff_packets(std::span<const uint8_t> expected, std::span<const uint8_t> actual,
                                    bool prefix = false);

// "TCP.flags expected RA got R"
std::string format_diff(const FieldDiff& d);

// The packet one line per layer (wire::describe_frame), each line prefixed.
std::string layer_dump(std::span<const uint8_t> frame, const std::string& indent);

// Offset-prefixed hex, 16 bytes a line. When `other` is given, bytes that differ
// from it (or lie beyond its end) are marked with '^' on a line below.
std::string hex_dump(std::span<const uint8_t> frame, const std::string& indent,
                     std::span<const uint8_t> other = {}, bool mark = false);

}  // namespace vnetref::conformance
