#include "stack/iochain/crypt/crypt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstring>

#include "stack/core/views.h"
#include "stack/iochain/config_util.h"
#include "stack/iochain/state_codec.h"
#include "stack/wire/checksum.h"

namespace vnetref::iochain::crypt {

using config::Json;
using config::ObjectReader;

const char* name_of(DropReason r) {
  switch (r) {
    case DropReason::kEspMalformed: return "esp_malformed";
    case DropReason::kEspAuthFailed: return "esp_auth_failed";
    case DropReason::kEspReplay: return "esp_replay";
    case DropReason::kEspUnknownSpi: return "esp_unknown_spi";
    case DropReason::kPlaintextViolation: return "plaintext_violation";
    case DropReason::kSeqExhausted: return "seq_exhausted";
    case DropReason::kFragment: return "fragment";
    case DropReason::kNoRoom: return "no_room";
    case DropReason::kCryptoError: return "crypto_error";
    case DropReason::kCount: break;
  }
  return "?";
}

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr uint32_t kMaxEpochs = 65536;  // SPI range per policy and direction
constexpr uint32_t kStateMagic = 0x31525943;  // "CYR1"
constexpr size_t kEspHdr = 8, kIvLen = 8, kIcvLen = 16;
constexpr uint8_t kProtoEsp = 50;

inline uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

bool parse_hex(const std::string& s, uint8_t* out, size_t n) {
  if (s.size() != 2 * n) return false;
  for (size_t i = 0; i < n; ++i) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nib(s[2 * i]), lo = nib(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

void fix_ipv4_header(uint8_t* ip, size_t ihl, uint16_t total, uint8_t proto) {
  ip[2] = static_cast<uint8_t>(total >> 8);
  ip[3] = static_cast<uint8_t>(total);
  ip[9] = proto;
  ip[10] = ip[11] = 0;
  const uint16_t c = wire::internet_checksum(std::span<const uint8_t>(ip, ihl));
  ip[10] = static_cast<uint8_t>(c >> 8);
  ip[11] = static_cast<uint8_t>(c);
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

}  // namespace

KeyMaterial derive_epoch_key(const KeyMaterial& master, uint32_t epoch) {
  if (epoch == 0) return master;
  KeyMaterial k;
  uint8_t msg[20] = {'v', 'n', 'e', 't', 'r', 'e', 'f', '-', 'r', 'e', 'k', 'e', 'y', 0, 0, 0, 0, 0, 0, 0};
  put32(msg + 13, epoch);
  uint8_t out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), master.key.data(), static_cast<int>(master.key.size()), msg, 17, out, &len);
  std::memcpy(k.key.data(), out, 32);
  msg[12] = 's';  // "vnetref-rekes": a different label for the salt
  HMAC(EVP_sha256(), master.key.data(), static_cast<int>(master.key.size()), msg, 17, out, &len);
  std::memcpy(k.salt.data(), out, 4);
  return k;
}

struct CryptFilter::Sa {
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx;
  KeyMaterial key;
  uint32_t spi = 0;
  uint32_t epoch = 0;
  bool valid = false;
  uint64_t seq = 0;  // out: last sent; in: highest authenticated (T)
  std::array<uint64_t, 16> window{};  // bit i of the window: sequence T - i seen

  bool init(const KeyMaterial& master, uint32_t base_spi, uint32_t e, bool encrypt) {
    key = derive_epoch_key(master, e);
    epoch = e;
    spi = base_spi + e;
    seq = 0;
    window.fill(0);
    ctx.reset(EVP_CIPHER_CTX_new());
    if (!ctx) return false;
    const int ok = encrypt ? EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.key.data(), nullptr)
                           : EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.key.data(), nullptr);
    valid = ok == 1;
    return valid;
  }
};

struct CryptFilter::PolicyState {
  Sa out;
  std::array<Sa, 2> in;  // the two newest accepted inbound epochs
  uint32_t out_epoch = 0;
  int64_t out_epoch_start = 0;
  uint64_t out_packets_in_epoch = 0;
  uint32_t in_epoch = 0;  // newest inbound epoch accepted
};

namespace {

// RFC 4303 3.4.3: W-bit window right-anchored at T.
bool replay_ok(const std::array<uint64_t, 16>& win, uint64_t t, uint32_t w, uint64_t s) {
  if (s > t) return true;
  const uint64_t off = t - s;
  if (off >= w) return false;
  return ((win[off / 64] >> (off % 64)) & 1) == 0;
}

void replay_update(std::array<uint64_t, 16>& win, uint64_t& t, uint64_t s) {
  if (s > t) {
    const uint64_t shift = s - t;
    if (shift >= 1024) {
      win.fill(0);
    } else {
      const size_t ws = shift / 64, bs = shift % 64;
      for (size_t i = 16; i-- > 0;) {
        uint64_t v = i >= ws ? win[i - ws] << bs : 0;
        if (bs != 0 && i >= ws + 1) v |= win[i - ws - 1] >> (64 - bs);
        win[i] = v;
      }
    }
    t = s;
    win[0] |= 1;
  } else {
    const uint64_t off = t - s;
    win[off / 64] |= uint64_t{1} << (off % 64);
  }
}

}  // namespace

// ---- configuration -----------------------------------------------------------------

FilterResult<CryptConfig> parse_crypt_config(std::string_view json, const FilterParams& params) {
  auto j0 = parse_config_text(json);
  if (!j0) return core::Err(j0.error());
  auto j = apply_params(std::move(j0).value(), params);
  if (!j) return core::Err(j.error());
  std::vector<config::ConfigError> errors;
  CryptConfig c;
  ObjectReader r(*j, "config", errors);
  const Json* pols = r.array("policies", false);
  r.reject_unknown_keys();
  if (pols != nullptr) {
    if (pols->items().size() > 64) r.error_at(*pols, "policies", "at most 64 policies");
    for (size_t i = 0; i < pols->items().size() && i < 64; ++i) {
      const Json& pj = pols->items()[i];
      ObjectReader pr(pj, ObjectReader::index_path(r.child_path("policies"), i), errors);
      Policy p;
      p.id = static_cast<uint32_t>(pr.integer("id", 0, 0xffffffffLL, static_cast<int64_t>(i + 1)).value_or(0));
      p.spi_out = static_cast<uint32_t>(pr.integer("spi_out", 256, 0xffffffffLL - kMaxEpochs, std::nullopt).value_or(256));
      p.spi_in = static_cast<uint32_t>(pr.integer("spi_in", 256, 0xffffffffLL - kMaxEpochs, std::nullopt).value_or(256));
      for (const char* k : {"key_out", "key_in"}) {
        const std::string hex = pr.string(k, std::nullopt).value_or("");
        KeyMaterial km;
        uint8_t raw[36];
        if (parse_hex(hex, raw, 36)) {
          std::memcpy(km.key.data(), raw, 32);
          std::memcpy(km.salt.data(), raw + 32, 4);
        } else if (pj.is_object() && pj.find(k) != nullptr) {
          pr.error_at(*pj.find(k), k, "must be 72 hex digits: a 256-bit key and a 32-bit salt");
        }
        (std::string(k) == "key_out" ? p.key_out : p.key_in) = km;
      }
      p.rekey_after_packets = static_cast<uint64_t>(pr.integer("rekey_after_packets", 0, 1LL << 40, 0).value_or(0));
      p.rekey_after_seconds = static_cast<uint32_t>(pr.integer("rekey_after_seconds", 0, 86400 * 365, 0).value_or(0));
      p.replay_window = static_cast<uint32_t>(pr.integer("replay_window", 64, 1024, 64).value_or(64));
      if (p.replay_window % 64 != 0) pr.error_at(pj, "replay_window", "must be a multiple of 64");
      p.require_encryption = pr.boolean("require_encryption", true).value_or(true);
      const Json* m = pr.array("match", false);
      pr.reject_unknown_keys();
      if (m == nullptr || m->items().empty()) {
        p.match_all = true;
      } else {
        Json rules = Json::array();
        for (const Json& e : m->items()) {
          Json copy = e;
          if (copy.is_object()) copy.set("action", Json::string("allow"));
          rules.push(std::move(copy));
        }
        Json acl = Json::object();
        acl.set("default_action", Json::string("drop"));
        acl.set("rules", std::move(rules));
        auto parsed = acl::parse_acl_config(acl.dump(), {});
        if (!parsed) {
          errors.push_back({pr.child_path("match"), m->location(), parsed.error().message});
        } else {
          p.match = std::move(parsed).value();
        }
      }
      c.policies.push_back(std::move(p));
    }
  }
  // SPI ranges must not overlap: a packet's SPI names exactly one policy and epoch.
  for (size_t a = 0; a < c.policies.size(); ++a) {
    for (size_t b = a + 1; b < c.policies.size(); ++b) {
      const uint32_t x = c.policies[a].spi_in, y = c.policies[b].spi_in;
      if ((x > y ? x - y : y - x) < kMaxEpochs) {
        errors.push_back({"config.policies[" + std::to_string(b) + "].spi_in", {}, "overlaps another policy's SPI range"});
      }
    }
  }
  if (auto st = config_errors_status(errors); !st) return core::Err(st.error());
  return c;
}

// ---- filter -------------------------------------------------------------------------

CryptFilter::CryptFilter(FilterInfo info, CryptConfig cfg) : info_(std::move(info)), cfg_(std::move(cfg)) {
  for (size_t i = 0; i < cfg_.policies.size(); ++i) states_.push_back(std::make_unique<PolicyState>());
}

CryptFilter::~CryptFilter() = default;

FilterResult<std::unique_ptr<CryptFilter>> CryptFilter::create(const FilterPlacement& where,
                                                               std::string_view config_json,
                                                               const FilterParams& params) {
  if (where.slot != 15) return filter_error(FilterError::kInvalid, "encryption lives in slot 15");
  auto cfg = parse_crypt_config(config_json, params);
  if (!cfg) return core::Err(cfg.error());
  FilterInfo info;
  info.agent = kCryptAgent;
  info.counter_prefix = "crypt";
  for (size_t i = 0; i < static_cast<size_t>(DropReason::kCount); ++i) {
    info.drop_reasons.push_back(name_of(static_cast<DropReason>(i)));
  }
  std::unique_ptr<CryptFilter> f(new CryptFilter(std::move(info), std::move(cfg).value()));
  for (size_t i = 0; i < f->cfg_.policies.size(); ++i) {
    const Policy& p = f->cfg_.policies[i];
    if (!f->states_[i]->out.init(p.key_out, p.spi_out, 0, true)) {
      return filter_error(FilterError::kFailed, "cipher initialisation failed");
    }
  }
  return f;
}

void CryptFilter::rekey_out(PolicyState& ps, int64_t now) {
  for (size_t k = 0; k < states_.size(); ++k) {
    if (states_[k].get() != &ps) continue;
    const Policy& p = cfg_.policies[k];
    if (ps.out_epoch + 1 >= kMaxEpochs) return;
    ++ps.out_epoch;
    ps.out.init(p.key_out, p.spi_out, ps.out_epoch, true);
    ps.out_epoch_start = now;
    ps.out_packets_in_epoch = 0;
    ++rekeys_;
  }
}

FilterStatus CryptFilter::process(core::PacketBatch& batch, Direction dir, FilterHost& host) {
  const int64_t now = core::to_nanos(host.now());
  last_now_ns_ = now;
  if (cfg_.policies.empty()) return core::Ok{};
  // Packets may be replaced (copy-on-write, linearised): take all, push back survivors.
  std::array<core::PacketPtr, core::PacketBatch::kMaxPackets> work;
  const uint32_t n = batch.size();
  for (uint32_t i = 0; i < n; ++i) work[i] = batch.take(i);
  batch.compact();
  for (uint32_t i = 0; i < n; ++i) {
    core::PacketPtr& p = work[i];
    PacketInfo pi;
    const bool ok = parse_packet(*p, pi);
    DropReason why = DropReason::kCount;
    if (ok && pi.ipv4) {
      if (dir == Direction::kEgress) {
        for (size_t k = 0; k < cfg_.policies.size(); ++k) {
          const Policy& pol = cfg_.policies[k];
          if (!pol.match_all && acl::acl_match(pol.match, pi, ok, dir) < 0) continue;
          why = pi.fragment ? DropReason::kFragment : encrypt(p, *states_[k], host, now);
          break;
        }
      } else if (pi.proto == kProtoEsp) {
        // An SPI from one of our inbound ranges; other ESP (the VM's own IPsec) passes.
        const uint8_t* esp = p->data() + pi.l4_off;
        const bool has_spi = p->data_len >= pi.l4_off + 4u;
        const uint32_t spi = has_spi ? be32(esp) : 0;
        bool ours = false;
        for (size_t k = 0; k < cfg_.policies.size() && has_spi; ++k) {
          const uint32_t e = spi - cfg_.policies[k].spi_in;
          if (spi >= cfg_.policies[k].spi_in && e < kMaxEpochs) {
            ours = true;
            why = pi.fragment ? DropReason::kFragment : decrypt(p, *states_[k], e, host);
            break;
          }
        }
        if (!ours) ++passthrough_esp_;
      } else {
        // Plaintext that a policy says must arrive encrypted: match its reply direction.
        PacketInfo rev = pi;
        std::swap(rev.src_ip, rev.dst_ip);
        std::swap(rev.sport, rev.dport);
        std::swap(rev.src_mac, rev.dst_mac);
        for (const Policy& pol : cfg_.policies) {
          if (!pol.require_encryption) continue;
          if (pol.match_all || acl::acl_match(pol.match, rev, ok, Direction::kEgress) >= 0) {
            why = DropReason::kPlaintextViolation;
            break;
          }
        }
      }
    }
    if (why != DropReason::kCount) {
      host.drop(std::move(p), static_cast<uint32_t>(why));
    } else {
      (void)batch.push(std::move(p));
    }
  }
  return core::Ok{};
}

DropReason CryptFilter::encrypt(core::PacketPtr& p, PolicyState& ps, FilterHost& host, int64_t now) {
  const size_t k = static_cast<size_t>(std::find_if(states_.begin(), states_.end(),
                                                    [&](const auto& s) { return s.get() == &ps; }) -
                                       states_.begin());
  const Policy& pol = cfg_.policies[k];
  if ((pol.rekey_after_packets != 0 && ps.out_packets_in_epoch >= pol.rekey_after_packets) ||
      (pol.rekey_after_seconds != 0 && now - ps.out_epoch_start >= int64_t{pol.rekey_after_seconds} * kSec) ||
      ps.out.seq == 0xffffffffu) {
    rekey_out(ps, now);
  }
  // A nonce may never repeat under one key: sequence numbers do not cycle (RFC 4303 3.3.3).
  if (ps.out.seq >= 0xffffffffu) return DropReason::kSeqExhausted;
  if (!ps.out.valid) return DropReason::kCryptoError;
  if (p->next != nullptr) {
    core::PacketPtr lin = p->pool->copy(*p);
    if (!lin || lin->next != nullptr) return DropReason::kNoRoom;
    p = std::move(lin);
  }
  if (!host.make_writable(p)) return DropReason::kNoRoom;
  PacketInfo pi;
  if (!parse_packet(*p, pi)) return DropReason::kEspMalformed;
  const size_t l3 = pi.l3_off, ihl = size_t{pi.l4_off} - pi.l3_off;
  const size_t plen = size_t{pi.ip_total_len} - ihl;
  // Drop Ethernet padding beyond the IP datagram first.
  core::SkBuff skb(*p);
  skb.trim(static_cast<uint32_t>(l3 + pi.ip_total_len));
  const size_t pad = (4 - (plen + 2) % 4) % 4;
  const size_t back = pad + 2 + kIcvLen;
  if (size_t{pi.ip_total_len} + kEspHdr + kIvLen + back > 65535) return DropReason::kNoRoom;
  if (p->headroom() < kEspHdr + kIvLen || p->tailroom() < back) return DropReason::kNoRoom;
  uint8_t* d = skb.push(kEspHdr + kIvLen);
  std::memmove(d, d + kEspHdr + kIvLen, l3 + ihl);
  uint8_t* tail = skb.put(static_cast<uint32_t>(back));
  uint8_t* esp = d + l3 + ihl;
  uint8_t* pt = esp + kEspHdr + kIvLen;
  const uint8_t next_header = pi.proto;
  for (size_t i = 0; i < pad; ++i) tail[i] = static_cast<uint8_t>(i + 1);  // RFC 4303 2.4 default padding
  tail[pad] = static_cast<uint8_t>(pad);
  tail[pad + 1] = next_header;
  const uint64_t seq = ++ps.out.seq;
  ++ps.out_packets_in_epoch;
  put32(esp, ps.out.spi);
  put32(esp + 4, static_cast<uint32_t>(seq));
  // Explicit IV: the 64-bit counter, unique per key (RFC 4106 3.1).
  put32(esp + 8, static_cast<uint32_t>(seq >> 32));
  put32(esp + 12, static_cast<uint32_t>(seq));
  uint8_t nonce[12];
  std::memcpy(nonce, ps.out.key.salt.data(), 4);
  std::memcpy(nonce + 4, esp + 8, 8);
  EVP_CIPHER_CTX* c = ps.out.ctx.get();
  int len = 0;
  const int ct_len = static_cast<int>(plen + pad + 2);
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce) != 1 ||
      EVP_EncryptUpdate(c, nullptr, &len, esp, 8) != 1 || EVP_EncryptUpdate(c, pt, &len, pt, ct_len) != 1 ||
      EVP_EncryptFinal_ex(c, pt + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kIcvLen, pt + ct_len) != 1) {
    return DropReason::kCryptoError;
  }
  fix_ipv4_header(d + l3, ihl, static_cast<uint16_t>(ihl + kEspHdr + kIvLen + static_cast<size_t>(ct_len) + kIcvLen),
                  kProtoEsp);
  ++encrypted_;
  return DropReason::kCount;
}

DropReason CryptFilter::decrypt(core::PacketPtr& p, PolicyState& ps, uint32_t epoch, FilterHost& host) {
  const size_t k = static_cast<size_t>(std::find_if(states_.begin(), states_.end(),
                                                    [&](const auto& s) { return s.get() == &ps; }) -
                                       states_.begin());
  const Policy& pol = cfg_.policies[k];
  // Accept the newest epoch, the one before, or the next (the sender's rekey).
  Sa* sa = nullptr;
  for (Sa& s : ps.in) {
    if (s.valid && s.epoch == epoch) sa = &s;
  }
  Sa fresh;
  const bool next_epoch = sa == nullptr && (epoch == ps.in_epoch + 1 || (epoch == 0 && !ps.in[0].valid));
  if (sa == nullptr) {
    if (!next_epoch) return DropReason::kEspUnknownSpi;
    if (!fresh.init(pol.key_in, pol.spi_in, epoch, false)) return DropReason::kCryptoError;
    sa = &fresh;
  }
  if (p->next != nullptr) {
    core::PacketPtr lin = p->pool->copy(*p);
    if (!lin || lin->next != nullptr) return DropReason::kNoRoom;
    p = std::move(lin);
  }
  PacketInfo pi;
  if (!parse_packet(*p, pi)) return DropReason::kEspMalformed;
  const size_t l3 = pi.l3_off, ihl = size_t{pi.l4_off} - pi.l3_off;
  const size_t esp_len = size_t{pi.ip_total_len} - ihl;
  if (esp_len < kEspHdr + kIvLen + 4 + kIcvLen) return DropReason::kEspMalformed;
  const uint8_t* ro = p->data() + l3 + ihl;
  const uint32_t seq = be32(ro + 4);
  if (seq == 0) return DropReason::kEspMalformed;
  if (!replay_ok(sa->window, sa->seq, pol.replay_window, seq)) return DropReason::kEspReplay;
  if (!host.make_writable(p)) return DropReason::kNoRoom;
  core::SkBuff skb(*p);
  skb.trim(static_cast<uint32_t>(l3 + pi.ip_total_len));
  uint8_t* d = p->data();
  uint8_t* esp = d + l3 + ihl;
  uint8_t* ct = esp + kEspHdr + kIvLen;
  const int ct_len = static_cast<int>(esp_len - kEspHdr - kIvLen - kIcvLen);
  uint8_t nonce[12];
  std::memcpy(nonce, sa->key.salt.data(), 4);
  std::memcpy(nonce + 4, esp + 8, 8);
  EVP_CIPHER_CTX* c = sa->ctx.get();
  int len = 0;
  uint8_t tag[kIcvLen];
  std::memcpy(tag, ct + ct_len, kIcvLen);
  // Decrypt into a scratch copy so a forged packet leaves the original bytes alone.
  uint8_t scratch[2048];
  if (ct_len > static_cast<int>(sizeof scratch)) return DropReason::kEspMalformed;
  if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce) != 1 ||
      EVP_DecryptUpdate(c, nullptr, &len, esp, 8) != 1 || EVP_DecryptUpdate(c, scratch, &len, ct, ct_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kIcvLen, tag) != 1) {
    return DropReason::kCryptoError;
  }
  int fin = 0;
  if (EVP_DecryptFinal_ex(c, scratch + len, &fin) != 1) return DropReason::kEspAuthFailed;
  const uint8_t pad = scratch[ct_len - 2];
  const uint8_t nh = scratch[ct_len - 1];
  if (size_t{pad} + 2 > static_cast<size_t>(ct_len)) return DropReason::kEspMalformed;
  for (uint8_t i = 0; i < pad; ++i) {
    if (scratch[ct_len - 2 - pad + i] != i + 1) return DropReason::kEspMalformed;
  }
  if (nh == 59 || nh == kProtoEsp) return DropReason::kEspMalformed;  // dummy packets / nesting not accepted
  // Authenticated: now the window and the epoch move.
  replay_update(sa->window, sa->seq, seq);
  if (sa == &fresh) {
    ps.in[1] = std::move(ps.in[0]);
    ps.in[0] = std::move(fresh);
    ps.in_epoch = epoch;
  }
  const size_t payload = static_cast<size_t>(ct_len) - 2 - pad;
  std::memcpy(ct, scratch, payload);
  std::memmove(d + kEspHdr + kIvLen, d, l3 + ihl);
  skb.pull(kEspHdr + kIvLen);
  skb.trim(static_cast<uint32_t>(l3 + ihl + payload));
  fix_ipv4_header(p->data() + l3, ihl, static_cast<uint16_t>(ihl + payload), nh);
  ++decrypted_;
  return DropReason::kCount;
}

std::optional<core::Instant> CryptFilter::timer(core::Instant now, FilterHost&) {
  const int64_t n = core::to_nanos(now);
  last_now_ns_ = n;
  std::optional<int64_t> next;
  for (size_t k = 0; k < cfg_.policies.size(); ++k) {
    const Policy& p = cfg_.policies[k];
    if (p.rekey_after_seconds == 0) continue;
    PolicyState& ps = *states_[k];
    const int64_t due = ps.out_epoch_start + int64_t{p.rekey_after_seconds} * kSec;
    if (due <= n && ps.out.seq > 0) {
      rekey_out(ps, n);
    }
    const int64_t again = ps.out_epoch_start + int64_t{p.rekey_after_seconds} * kSec;
    if (again > n && (!next || again < *next)) next = again;
  }
  if (next) return core::from_nanos(*next);
  return std::nullopt;
}

void CryptFilter::counters(core::CounterList& out) const {
  out.push_back({"encrypted", encrypted_});
  out.push_back({"decrypted", decrypted_});
  out.push_back({"rekeys", rekeys_});
  out.push_back({"esp_passthrough", passthrough_esp_});
  for (size_t k = 0; k < cfg_.policies.size(); ++k) {
    const std::string p = "policy." + std::to_string(cfg_.policies[k].id);
    out.push_back({p + ".epoch_out", states_[k]->out_epoch});
    out.push_back({p + ".epoch_in", states_[k]->in_epoch});
    out.push_back({p + ".seq_out", states_[k]->out.seq});
  }
}

FilterResult<std::vector<uint8_t>> CryptFilter::save_state() const {
  StateWriter w(kStateMagic, 1);
  w.u32(static_cast<uint32_t>(states_.size()));
  for (const auto& sp : states_) {
    const PolicyState& s = *sp;
    w.u32(s.out_epoch);
    w.u64(s.out.seq);
    w.u64(s.out_packets_in_epoch);
    w.i64(last_now_ns_ - s.out_epoch_start);
    w.u32(s.in_epoch);
    for (const Sa& a : s.in) {
      w.u8(a.valid ? 1 : 0);
      w.u32(a.epoch);
      w.u64(a.seq);
      for (uint64_t x : a.window) w.u64(x);
    }
  }
  return w.take();
}

FilterStatus CryptFilter::restore_state(std::span<const uint8_t> state) {
  StateReader r(state, kStateMagic, 1);
  uint32_t n = 0;
  if (!r.ok() || !r.u32(n) || n != states_.size()) {
    return filter_error(FilterError::kState, "crypt state: header or policy count does not match the configuration");
  }
  std::vector<std::unique_ptr<PolicyState>> fresh;
  for (uint32_t k = 0; k < n; ++k) {
    auto s = std::make_unique<PolicyState>();
    const Policy& p = cfg_.policies[k];
    uint64_t seq = 0;
    int64_t age = 0;
    if (!r.u32(s->out_epoch) || !r.u64(seq) || !r.u64(s->out_packets_in_epoch) || !r.i64(age) || !r.u32(s->in_epoch) ||
        s->out_epoch >= kMaxEpochs || seq > 0xffffffffu) {
      return filter_error(FilterError::kState, "crypt state: bad outbound state");
    }
    if (!s->out.init(p.key_out, p.spi_out, s->out_epoch, true)) return filter_error(FilterError::kFailed, "cipher init");
    s->out.seq = seq;
    s->out_epoch_start = last_now_ns_ - age;
    for (Sa& a : s->in) {
      uint8_t valid = 0;
      uint32_t epoch = 0;
      uint64_t t = 0;
      std::array<uint64_t, 16> win{};
      bool ok = r.u8(valid) && r.u32(epoch) && r.u64(t);
      for (uint64_t& x : win) ok = ok && r.u64(x);
      if (!ok || epoch >= kMaxEpochs || t > 0xffffffffu) return filter_error(FilterError::kState, "crypt state: bad SA");
      if (valid) {
        if (!a.init(p.key_in, p.spi_in, epoch, false)) return filter_error(FilterError::kFailed, "cipher init");
        a.seq = t;
        a.window = win;
      } else {
        a.epoch = epoch;
        a.seq = t;
        a.window = win;
      }
    }
    fresh.push_back(std::move(s));
  }
  if (!r.done()) return filter_error(FilterError::kState, "crypt state: trailing bytes");
  states_ = std::move(fresh);
  return core::Ok{};
}

FilterResult<std::string> CryptFilter::ioctl(std::string_view request) {
  if (request == "getsas") {
    std::string out;
    char line[160];
    for (size_t k = 0; k < cfg_.policies.size(); ++k) {
      const PolicyState& s = *states_[k];
      std::snprintf(line, sizeof line, "policy %u out spi 0x%08x epoch %u seq %llu; in epoch %u\n",
                    cfg_.policies[k].id, s.out.spi, s.out_epoch, static_cast<unsigned long long>(s.out.seq), s.in_epoch);
      out += line;
    }
    return out;
  }
  if (request == "rekey") {
    for (auto& s : states_) rekey_out(*s, last_now_ns_);
    return std::string("ok\n");
  }
  return filter_error(FilterError::kUnsupported, "unknown ioctl (getsas, rekey)");
}

FilterStatus CryptFilter::config_changed(std::string_view config_json) {
  auto cfg = parse_crypt_config(config_json, {});
  if (!cfg) return core::Err(cfg.error());
  // New keys mean new SAs: state restarts at epoch 0 with fresh sequence numbers.
  // A policy whose outbound SPI and key are unchanged keeps its outbound SA and
  // counter (a GCM nonce must never repeat under one key, ENC-12); its inbound SAs and
  // replay windows stay too when the inbound SPI and key are unchanged as well.
  auto same_key = [](const KeyMaterial& a, const KeyMaterial& b) { return a.key == b.key && a.salt == b.salt; };
  // First decide and build everything that can fail; move old state only after.
  std::vector<std::unique_ptr<PolicyState>> fresh;
  std::vector<size_t> keep_from;  // old index, or SIZE_MAX for a new SA
  for (const Policy& p : cfg->policies) {
    size_t keep = SIZE_MAX;
    for (size_t i = 0; i < cfg_.policies.size() && i < states_.size(); ++i) {
      const Policy& o = cfg_.policies[i];
      bool taken = std::find(keep_from.begin(), keep_from.end(), i) != keep_from.end();
      if (!taken && states_[i] && o.spi_out == p.spi_out && same_key(o.key_out, p.key_out)) {
        keep = i;
        break;
      }
    }
    keep_from.push_back(keep);
    if (keep != SIZE_MAX) {
      fresh.push_back(nullptr);
      continue;
    }
    auto s = std::make_unique<PolicyState>();
    if (!s->out.init(p.key_out, p.spi_out, 0, true)) return filter_error(FilterError::kFailed, "cipher init");
    s->out_epoch_start = last_now_ns_;
    fresh.push_back(std::move(s));
  }
  for (size_t k = 0; k < fresh.size(); ++k) {
    if (keep_from[k] == SIZE_MAX) continue;
    const Policy& o = cfg_.policies[keep_from[k]];
    const Policy& p = cfg->policies[k];
    fresh[k] = std::move(states_[keep_from[k]]);
    if (o.spi_in != p.spi_in || !same_key(o.key_in, p.key_in)) {
      fresh[k]->in = {};
      fresh[k]->in_epoch = 0;
    }
  }
  cfg_ = std::move(cfg).value();
  states_ = std::move(fresh);
  return core::Ok{};
}

}  // namespace vnetref::iochain::crypt
