#include "stack/wire/errors.h"

namespace vnetref::wire {

const char* to_string(ParseError e) {
  switch (e) {
    case ParseError::Truncated: return "truncated";
    case ParseError::BadVersion: return "bad version";
    case ParseError::BadHeaderLength: return "bad header length";
    case ParseError::BadTotalLength: return "bad total length";
    case ParseError::BadChecksum: return "bad checksum";
    case ParseError::BadOption: return "bad option";
    case ParseError::BadLength: return "bad length";
    case ParseError::BadField: return "bad field";
    case ParseError::Unsupported: return "unsupported";
  }
  return "unknown parse error";
}

const char* to_string(BuildError e) {
  switch (e) {
    case BuildError::BufferTooSmall: return "buffer too small";
    case BuildError::InvalidField: return "invalid field";
  }
  return "unknown build error";
}

}  // namespace vnetref::wire
