#include "stack/wire/tcp.h"

#include <algorithm>
#include <cstring>

namespace vnetref::wire {

std::string TcpFlags::to_scapy() const {
  static constexpr char kLetters[] = "FSRPAUECN";
  std::string s;
  for (int i = 0; i < 9; ++i) {
    if (bits & (1u << i)) s.push_back(kLetters[i]);
  }
  return s;
}

std::string TcpFlags::to_tcpdump() const {
  // tcpdump's table order and letters: ACK is '.', CWR is 'W', AE 'e'.
  static constexpr struct {
    uint16_t bit;
    char letter;
  } kTable[] = {{kFin, 'F'}, {kSyn, 'S'}, {kRst, 'R'}, {kPsh, 'P'}, {kAck, '.'},
                {kUrg, 'U'}, {kEce, 'E'}, {kCwr, 'W'}, {kAe, 'e'}};
  std::string s;
  for (const auto& e : kTable) {
    if (bits & e.bit) s.push_back(e.letter);
  }
  return s.empty() ? "none" : s;
}

Result<TcpOptions, ParseError> TcpOptions::parse(std::span<const uint8_t> area) {
  TcpOptions o;
  OptionCursor cursor(area, kIpTcpOptionSyntax);
  for (;;) {
    auto next = cursor.next();
    if (!next) return Err(next.error());
    if (!next->has_value()) break;
    const RawOption& opt = **next;
    const auto d = opt.data;
    switch (opt.kind) {
      case tcp_option::kMss:
        if (d.size() != 2) return Err(ParseError::BadOption);
        o.mss = load_be16(d, 0);
        break;
      case tcp_option::kWindowScale:
        if (d.size() != 1) return Err(ParseError::BadOption);
        o.window_scale = d[0];
        break;
      case tcp_option::kSackPermitted:
        if (!d.empty()) return Err(ParseError::BadOption);
        o.sack_permitted = true;
        break;
      case tcp_option::kSack:
        if (d.empty() || d.size() % 8 != 0 || d.size() / 8 > kMaxSackBlocks) return Err(ParseError::BadOption);
        o.sack_count = static_cast<uint8_t>(d.size() / 8);
        for (size_t i = 0; i < o.sack_count; ++i) {
          o.sack_blocks[i] = SackBlock{SeqNum(load_be32(d, 8 * i)), SeqNum(load_be32(d, 8 * i + 4))};
        }
        break;
      case tcp_option::kTimestamps:
        if (d.size() != 8) return Err(ParseError::BadOption);
        o.timestamps = TcpTimestamps{load_be32(d, 0), load_be32(d, 4)};
        break;
      default:
        break;  // EOL, NOP and kinds we do not implement
    }
  }
  return o;
}

size_t TcpOptions::aligned_len() const {
  size_t n = 0;
  if (mss) n += 4;
  if (timestamps) n += 12;  // SACK-permitted takes the place of the two NOPs
  else if (sack_permitted) n += 4;
  if (window_scale) n += 4;
  if (sack_count > 0) n += 4 + 8 * size_t{sack_count};
  return n;
}

size_t TcpOptions::packed_len() const {
  size_t n = 0;
  if (mss) n += 4;
  if (window_scale) n += 3;
  if (sack_permitted) n += 2;
  if (timestamps) n += 10;
  if (sack_count > 0) n += 2 + 8 * size_t{sack_count};
  return (n + 3) / 4 * 4;
}

size_t TcpOptions::encoded_len() const {
  const size_t a = aligned_len();
  return a <= kMaxLen ? a : packed_len();
}

Result<size_t, BuildError> TcpOptions::emit(std::span<uint8_t> out) const {
  const size_t len = encoded_len();
  if (len > kMaxLen || sack_count > kMaxSackBlocks) return Err(BuildError::InvalidField);
  if (out.size() < len) return Err(BuildError::BufferTooSmall);
  const bool aligned = aligned_len() <= kMaxLen;
  size_t off = 0;
  auto put = [&](uint8_t v) { out[off++] = v; };
  auto put32 = [&](uint32_t v) {
    store_be32(out, off, v);
    off += 4;
  };
  auto put_ts = [&] {
    put(tcp_option::kTimestamps);
    put(10);
    put32(timestamps->value);
    put32(timestamps->echo_reply);
  };
  if (mss) {
    put(tcp_option::kMss);
    put(4);
    store_be16(out, off, *mss);
    off += 2;
  }
  if (aligned) {
    if (timestamps) {
      if (sack_permitted) {
        put(tcp_option::kSackPermitted);
        put(2);
      } else {
        put(tcp_option::kNop);
        put(tcp_option::kNop);
      }
      put_ts();
    } else if (sack_permitted) {
      put(tcp_option::kNop);
      put(tcp_option::kNop);
      put(tcp_option::kSackPermitted);
      put(2);
    }
    if (window_scale) {
      put(tcp_option::kNop);
      put(tcp_option::kWindowScale);
      put(3);
      put(*window_scale);
    }
    if (sack_count > 0) {
      put(tcp_option::kNop);
      put(tcp_option::kNop);
    }
  } else {
    if (window_scale) {
      put(tcp_option::kWindowScale);
      put(3);
      put(*window_scale);
    }
    if (sack_permitted) {
      put(tcp_option::kSackPermitted);
      put(2);
    }
    if (timestamps) put_ts();
  }
  if (sack_count > 0) {
    put(tcp_option::kSack);
    put(static_cast<uint8_t>(2 + 8 * sack_count));
    for (size_t i = 0; i < sack_count; ++i) {
      put32(sack_blocks[i].left.raw());
      put32(sack_blocks[i].right.raw());
    }
  }
  while (off < len) put(tcp_option::kEnd);  // pad the packed layout to 32 bits
  return len;
}

bool operator==(const TcpOptions& a, const TcpOptions& b) {
  return a.mss == b.mss && a.window_scale == b.window_scale && a.sack_permitted == b.sack_permitted &&
         a.timestamps == b.timestamps && a.sack_count == b.sack_count &&
         std::equal(a.sack_blocks.begin(), a.sack_blocks.begin() + std::min<size_t>(a.sack_count, 4),
                    b.sack_blocks.begin());
}

TcpHeader TcpHeader::from(const TcpView& v) {
  TcpHeader h;
  h.src_port = v.src_port();
  h.dst_port = v.dst_port();
  h.seq = v.seq();
  h.ack = v.ack();
  h.flags = v.flags();
  h.reserved = v.reserved();
  h.window = v.window();
  h.urgent_ptr = v.urgent_ptr();
  h.options = v.parsed_options();
  h.payload = v.payload();
  return h;
}

Result<size_t, BuildError> TcpHeader::emit(std::span<uint8_t> out, Ipv4Address src, Ipv4Address dst) const {
  const size_t hlen = header_len();
  const size_t len = hlen + payload.size();
  if (len > 0xffff || reserved > 7) return Err(BuildError::InvalidField);
  if (out.size() < len) return Err(BuildError::BufferTooSmall);
  if (!payload.empty()) std::memmove(out.data() + hlen, payload.data(), payload.size());
  auto opt_len = options.emit(out.subspan(TcpView::kMinHeaderLen, hlen - TcpView::kMinHeaderLen));
  if (!opt_len) return Err(opt_len.error());
  store_be16(out, 0, src_port);
  store_be16(out, 2, dst_port);
  store_be32(out, 4, seq.raw());
  store_be32(out, 8, ack.raw());
  store_be16(out, 12,
             static_cast<uint16_t>(((hlen / 4) << 12) | (uint16_t{reserved} << 9) | (flags.bits & TcpFlags::kMask)));
  store_be16(out, 14, window);
  store_be16(out, 16, 0);
  store_be16(out, 18, urgent_ptr);
  auto view = TcpViewMut::parse(out.subspan(0, len));
  if (!view) return Err(BuildError::InvalidField);
  view->fill_checksum(src, dst);
  return len;
}

bool operator==(const TcpHeader& a, const TcpHeader& b) {
  return a.src_port == b.src_port && a.dst_port == b.dst_port && a.seq == b.seq && a.ack == b.ack &&
         a.flags == b.flags && a.reserved == b.reserved && a.window == b.window && a.urgent_ptr == b.urgent_ptr &&
         a.options == b.options && std::ranges::equal(a.payload, b.payload);
}

}  // namespace vnetref::wire
