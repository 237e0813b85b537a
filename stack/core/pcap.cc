#include "stack/core/pcap.h"

#include <algorithm>
#include <cstring>

namespace vnetref::core {

namespace {

void put16(std::ostream& o, uint16_t v) {
  uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
  o.write(reinterpret_cast<const char*>(b), 2);
}
void put32(std::ostream& o, uint32_t v) {
  uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
                  static_cast<uint8_t>(v >> 24)};
  o.write(reinterpret_cast<const char*>(b), 4);
}
void put_bytes(std::ostream& o, std::span<const uint8_t> b) {
  o.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
void pad4(std::ostream& o, size_t n) {
  static const char zeros[4] = {0, 0, 0, 0};
  o.write(zeros, static_cast<std::streamsize>((4 - n % 4) % 4));
}
constexpr uint32_t padded(size_t n) { return static_cast<uint32_t>((n + 3) & ~size_t{3}); }

// Writes one pcapng option (code, length, value padded to 32 bits).
void put_option(std::ostream& o, uint16_t code, std::span<const uint8_t> value) {
  put16(o, code);
  put16(o, static_cast<uint16_t>(value.size()));
  put_bytes(o, value);
  pad4(o, value.size());
}
std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
uint32_t option_size(size_t value_len) { return 4 + padded(value_len); }

constexpr uint32_t kPcapMagicNs = 0xa1b23c4d;
constexpr uint32_t kPcapMagicUs = 0xa1b2c3d4;
constexpr uint32_t kShbType = 0x0A0D0D0A;
constexpr uint32_t kIdbType = 1;
constexpr uint32_t kEpbType = 6;
constexpr uint32_t kSpbType = 3;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;

}  // namespace

PcapWriter::PcapWriter(std::ostream& out, uint32_t snaplen, uint32_t linktype) : out_(out), snaplen_(snaplen) {
  put32(out_, kPcapMagicNs);
  put16(out_, 2);
  put16(out_, 4);
  put32(out_, 0);  // thiszone
  put32(out_, 0);  // sigfigs
  put32(out_, snaplen_);
  put32(out_, linktype);
}

void PcapWriter::write(Instant ts, std::span<const uint8_t> frame, uint32_t orig_len) {
  int64_t ns = to_nanos(ts);
  auto incl = static_cast<uint32_t>(std::min<size_t>(frame.size(), snaplen_));
  put32(out_, static_cast<uint32_t>(ns / 1000000000));
  put32(out_, static_cast<uint32_t>(ns % 1000000000));
  put32(out_, incl);
  put32(out_, std::max<uint32_t>(orig_len, static_cast<uint32_t>(frame.size())));
  put_bytes(out_, frame.first(incl));
  ++packets_;
}

PcapngWriter::PcapngWriter(std::ostream& out, std::string_view app) : out_(out) {
  uint32_t len = 28 + option_size(app.size()) + 4;
  put32(out_, kShbType);
  put32(out_, len);
  put32(out_, kByteOrderMagic);
  put16(out_, 1);
  put16(out_, 0);
  put32(out_, 0xffffffff);  // section length unknown (-1, 64 bits)
  put32(out_, 0xffffffff);
  put_option(out_, 4, as_bytes(app));  // shb_userappl
  put32(out_, 0);                      // opt_endofopt
  put32(out_, len);
}

uint32_t PcapngWriter::add_interface(std::string_view name, uint32_t linktype, uint32_t snaplen) {
  const uint8_t tsresol[1] = {9};  // 10^-9 s
  uint32_t len = 20 + option_size(name.size()) + option_size(1) + 4;
  put32(out_, kIdbType);
  put32(out_, len);
  put16(out_, static_cast<uint16_t>(linktype));
  put16(out_, 0);
  put32(out_, snaplen);
  put_option(out_, 2, as_bytes(name));  // if_name
  put_option(out_, 9, tsresol);         // if_tsresol
  put32(out_, 0);
  put32(out_, len);
  return interfaces_++;
}

void PcapngWriter::write(uint32_t interface_id, Instant ts, std::span<const uint8_t> frame,
                         std::string_view comment, uint32_t orig_len) {
  auto ns = static_cast<uint64_t>(to_nanos(ts));
  uint32_t opts = comment.empty() ? 0 : option_size(comment.size()) + 4;
  uint32_t len = 28 + padded(frame.size()) + opts + 4;
  put32(out_, kEpbType);
  put32(out_, len);
  put32(out_, interface_id);
  put32(out_, static_cast<uint32_t>(ns >> 32));
  put32(out_, static_cast<uint32_t>(ns));
  put32(out_, static_cast<uint32_t>(frame.size()));
  put32(out_, std::max<uint32_t>(orig_len, static_cast<uint32_t>(frame.size())));
  put_bytes(out_, frame);
  pad4(out_, frame.size());
  if (!comment.empty()) {
    put_option(out_, 1, as_bytes(comment));  // opt_comment
    put32(out_, 0);
  }
  put32(out_, len);
  ++packets_;
}

const char* name_of(CaptureError e) {
  switch (e) {
    case CaptureError::kTruncated: return "truncated";
    case CaptureError::kBadMagic: return "bad magic";
    case CaptureError::kBadBlockLength: return "bad block length";
    case CaptureError::kBadInterface: return "bad interface id";
    case CaptureError::kUnsupported: return "unsupported";
  }
  return "?";
}

namespace {

struct Reader {
  std::span<const uint8_t> b;
  bool swap = false;
  bool have(size_t off, size_t n) const { return off <= b.size() && n <= b.size() - off; }
  uint16_t u16(size_t off) const {
    uint16_t v = static_cast<uint16_t>(b[off] | (b[off + 1] << 8));
    return swap ? static_cast<uint16_t>((v >> 8) | (v << 8)) : v;
  }
  uint32_t u32(size_t off) const {
    uint32_t v = static_cast<uint32_t>(b[off]) | (static_cast<uint32_t>(b[off + 1]) << 8) |
                 (static_cast<uint32_t>(b[off + 2]) << 16) | (static_cast<uint32_t>(b[off + 3]) << 24);
    return swap ? __builtin_bswap32(v) : v;
  }
};

Result<Capture, CaptureError> read_pcap(std::span<const uint8_t> file, size_t max_records) {
  Reader r{file};
  if (!r.have(0, 24)) return Err(CaptureError::kTruncated);
  uint32_t magic = r.u32(0);
  bool ns = false;
  if (magic == kPcapMagicNs || magic == kPcapMagicUs) {
    ns = magic == kPcapMagicNs;
  } else if (__builtin_bswap32(magic) == kPcapMagicNs || __builtin_bswap32(magic) == kPcapMagicUs) {
    r.swap = true;
    ns = __builtin_bswap32(magic) == kPcapMagicNs;
  } else {
    return Err(CaptureError::kBadMagic);
  }
  Capture cap;
  cap.linktype = r.u32(20);
  size_t off = 24;
  while (off < file.size()) {
    if (!r.have(off, 16)) return Err(CaptureError::kTruncated);
    uint32_t sec = r.u32(off), frac = r.u32(off + 4), incl = r.u32(off + 8), orig = r.u32(off + 12);
    off += 16;
    if (!r.have(off, incl)) return Err(CaptureError::kTruncated);
    if (cap.records.size() >= max_records) return Err(CaptureError::kUnsupported);
    CaptureRecord rec;
    rec.time = from_nanos(static_cast<int64_t>(sec) * 1000000000 + static_cast<int64_t>(ns ? frac : frac * 1000ull));
    rec.orig_len = orig;
    rec.data.assign(file.begin() + static_cast<std::ptrdiff_t>(off),
                    file.begin() + static_cast<std::ptrdiff_t>(off + incl));
    off += incl;
    cap.records.push_back(std::move(rec));
  }
  return cap;
}

Result<Capture, CaptureError> read_pcapng(std::span<const uint8_t> file, size_t max_records) {
  Reader r{file};
  Capture cap;
  cap.pcapng = true;
  std::vector<uint8_t> tsresol;  // per interface: exponent of 10 (bit 7 clear) or of 2
  size_t off = 0;
  while (off < file.size()) {
    if (!r.have(off, 12)) return Err(CaptureError::kTruncated);
    uint32_t type = r.u32(off);
    if (type == kShbType) {
      // The byte-order magic decides how this section is read.
      uint32_t bom = r.u32(off + 8);
      if (bom == kByteOrderMagic) {
      } else if (__builtin_bswap32(bom) == kByteOrderMagic) {
        r.swap = !r.swap;
      } else {
        return Err(CaptureError::kBadMagic);
      }
      tsresol.clear();
      cap.interface_names.clear();
    } else if (off == 0) {
      return Err(CaptureError::kBadMagic);
    }
    uint32_t len = r.u32(off + 4);
    if (len < 12 || len % 4 != 0 || !r.have(off, len)) return Err(CaptureError::kBadBlockLength);
    if (r.u32(off + len - 4) != len) return Err(CaptureError::kBadBlockLength);
    size_t body = off + 8, body_end = off + len - 4;
    // Options walk shared by IDB and EPB.
    auto walk_options = [&](size_t pos, auto&& on_option) -> bool {
      while (pos + 4 <= body_end) {
        uint16_t code = r.u16(pos), olen = r.u16(pos + 2);
        if (code == 0) return true;
        if (pos + 4 + olen > body_end) return false;
        on_option(code, file.subspan(pos + 4, olen));
        pos += 4 + padded(olen);
      }
      return true;
    };
    if (type == kIdbType) {
      if (body + 8 > body_end) return Err(CaptureError::kTruncated);
      if (tsresol.empty()) cap.linktype = r.u16(body);
      uint8_t res = 6;
      std::string name;
      bool ok = walk_options(body + 8, [&](uint16_t code, std::span<const uint8_t> v) {
        if (code == 9 && v.size() == 1) res = v[0];
        if (code == 2) name.assign(v.begin(), v.end());
      });
      if (!ok) return Err(CaptureError::kBadBlockLength);
      if (tsresol.size() >= 65536) return Err(CaptureError::kUnsupported);
      tsresol.push_back(res);
      cap.interface_names.push_back(std::move(name));
    } else if (type == kEpbType || type == kSpbType) {
      CaptureRecord rec;
      size_t data_off;
      uint32_t caplen;
      if (type == kEpbType) {
        if (body + 20 > body_end) return Err(CaptureError::kTruncated);
        rec.interface_id = r.u32(body);
        if (rec.interface_id >= tsresol.size()) return Err(CaptureError::kBadInterface);
        uint64_t ts = (static_cast<uint64_t>(r.u32(body + 4)) << 32) | r.u32(body + 8);
        caplen = r.u32(body + 12);
        rec.orig_len = r.u32(body + 16);
        data_off = body + 20;
        uint8_t res = tsresol[rec.interface_id];
        int64_t nanos;
        if ((res & 0x80) == 0 && res <= 9) {
          uint64_t mul = 1;
          for (int i = res; i < 9; ++i) mul *= 10;
          nanos = static_cast<int64_t>(ts * mul);
        } else {
          nanos = static_cast<int64_t>(ts);  // unusual resolutions: raw units
        }
        rec.time = from_nanos(nanos);
      } else {
        if (tsresol.empty()) return Err(CaptureError::kBadInterface);
        if (body + 4 > body_end) return Err(CaptureError::kTruncated);
        rec.orig_len = r.u32(body);
        caplen = static_cast<uint32_t>(std::min<size_t>(rec.orig_len, body_end - body - 4));
        data_off = body + 4;
      }
      if (caplen > body_end - data_off) return Err(CaptureError::kTruncated);
      rec.data.assign(file.begin() + static_cast<std::ptrdiff_t>(data_off),
                      file.begin() + static_cast<std::ptrdiff_t>(data_off + caplen));
      if (type == kEpbType) {
        bool ok = walk_options(data_off + padded(caplen), [&](uint16_t code, std::span<const uint8_t> v) {
          if (code == 1) rec.comment.assign(v.begin(), v.end());
        });
        if (!ok) return Err(CaptureError::kBadBlockLength);
      }
      if (cap.records.size() >= max_records) return Err(CaptureError::kUnsupported);
      cap.records.push_back(std::move(rec));
    }
    off += len;  // other block types are skipped
  }
  return cap;
}

}  // namespace

Result<Capture, CaptureError> read_capture(std::span<const uint8_t> file, size_t max_records) {
  if (file.size() < 4) return Err(CaptureError::kTruncated);
  Reader r{file};
  if (r.u32(0) == kShbType) return read_pcapng(file, max_records);
  return read_pcap(file, max_records);
}

}  // namespace vnetref::core
