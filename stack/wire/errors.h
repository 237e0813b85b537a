// Typed errors of the wire layer: what went wrong while parsing or building a header.
#pragma once

#include <cstdint>

namespace vnetref::wire {

enum class ParseError : uint8_t {
  Truncated,        // the buffer ends before the header (or a length field) says it should
  BadVersion,       // IPv4 version field is not 4
  BadHeaderLength,  // IHL / TCP data offset below the minimum
  BadTotalLength,   // IPv4 total length below the header length
  BadChecksum,      // checksum verification failed (only from the validate_* helpers)
  BadOption,        // malformed option: bad length, overruns the option area, wrong fixed size
  BadLength,        // a length field disagrees with the structure (e.g. UDP length < 8)
  BadField,         // a field holds a value the protocol forbids (e.g. reserved VLAN id)
  Unsupported,      // well-formed but outside what we handle (e.g. ARP for non-Ethernet)
};

const char* to_string(ParseError e);

enum class BuildError : uint8_t {
  BufferTooSmall,  // the caller's output span cannot hold the header (+ payload)
  InvalidField,    // a field cannot be encoded (e.g. options longer than 40 bytes)
};

const char* to_string(BuildError e);

}  // namespace vnetref::wire
