// Saved-state encoding: little-endian fixed-width fields behind a magic and version,
// so a restore on another host rejects foreign or truncated blobs with a typed error
// instead of misreading them.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vnetref::iochain {

class StateWriter {
 public:
  StateWriter(uint32_t magic, uint16_t version) {
    u32(magic);
    u16(version);
  }
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { put(&v, 2); }
  void u32(uint32_t v) { put(&v, 4); }
  void u64(uint64_t v) { put(&v, 8); }
  void i64(int64_t v) { put(&v, 8); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void bytes(std::span<const uint8_t> b) {
    u32(static_cast<uint32_t>(b.size()));
    out_.insert(out_.end(), b.begin(), b.end());
  }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  void put(const void* p, size_t n) {
    // Little-endian on every host we build for (x86-64); bytes copied as they are.
    const auto* b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  std::vector<uint8_t> out_;
};

class StateReader {
 public:
  StateReader(std::span<const uint8_t> in, uint32_t magic, uint16_t version) : in_(in) {
    uint32_t m = 0;
    uint16_t v = 0;
    if (!u32(m) || !u16(v) || m != magic || v != version) ok_ = false;
  }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == in_.size(); }
  bool u8(uint8_t& v) { return get(&v, 1); }
  bool u16(uint16_t& v) { return get(&v, 2); }
  bool u32(uint32_t& v) { return get(&v, 4); }
  bool u64(uint64_t& v) { return get(&v, 8); }
  bool i64(int64_t& v) { return get(&v, 8); }
  bool str(std::string& s, size_t max_len = 4096) {
    uint32_t n = 0;
    if (!u32(n) || n > max_len || in_.size() - pos_ < n) return fail();
    s.assign(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool bytes(std::vector<uint8_t>& b, size_t max_len) {
    uint32_t n = 0;
    if (!u32(n) || n > max_len || in_.size() - pos_ < n) return fail();
    b.assign(in_.begin() + static_cast<std::ptrdiff_t>(pos_), in_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return true;
  }

 private:
  bool fail() {
    ok_ = false;
    return false;
  }
  bool get(void* p, size_t n) {
    if (!ok_ || in_.size() - pos_ < n) return fail();
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace vnetref::iochain
