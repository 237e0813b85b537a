// Slot 15: network encryption between hosts (agent "vnetref-dne").
//
// Egress IPv4 packets matching a policy are protected in ESP transport mode
// (RFC 4303) with AES-256-GCM (RFC 4106: 4-byte salt + 8-byte explicit IV as the
// nonce, 16-byte ICV, AAD = SPI || sequence number); ingress ESP for our SPIs is
// verified, replay-checked (RFC 4303 3.4.3 sliding window) and decrypted. Keys rekey
// deterministically (both ends derive epoch keys from the policy key), so no key
// exchange is modelled: see docs/iochain.md.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stack/iochain/acl/acl.h"
#include "stack/iochain/filter.h"

namespace vnetref::iochain::crypt {

inline constexpr const char* kCryptAgent = "vnetref-dne";

enum class DropReason : uint8_t {
  kEspMalformed,        // too short, bad padding, bad next header
  kEspAuthFailed,       // ICV did not verify
  kEspReplay,           // sequence number replayed or left of the window
  kEspUnknownSpi,       // our SPI range, but an epoch we do not accept
  kPlaintextViolation,  // plaintext ingress that a policy requires encrypted
  kSeqExhausted,        // sequence numbers used up and rekeying disabled
  kFragment,            // IPv4 fragments are not protected (transport mode)
  kNoRoom,              // no headroom/tailroom/buffer for the ESP overhead
  kCryptoError,         // the cipher library failed
  kCount
};
const char* name_of(DropReason r);

struct KeyMaterial {
  std::array<uint8_t, 32> key{};
  std::array<uint8_t, 4> salt{};
};

struct Policy {
  uint32_t id = 0;
  acl::AclConfig match;  // egress traffic (from this VM) to protect
  bool match_all = false;
  uint32_t spi_out = 0, spi_in = 0;  // SPI of epoch 0; epoch e uses base + e
  KeyMaterial key_out, key_in;
  uint64_t rekey_after_packets = 0;  // 0: only on sequence exhaustion
  uint32_t rekey_after_seconds = 0;  // 0: never by time
  uint32_t replay_window = 64;       // 64..1024, multiple of 64
  bool require_encryption = true;
};

struct CryptConfig {
  std::vector<Policy> policies;
};

FilterResult<CryptConfig> parse_crypt_config(std::string_view json, const FilterParams& params);
// Epoch-e keys: epoch 0 is the configured key; later epochs are HMAC-SHA256 derived.
KeyMaterial derive_epoch_key(const KeyMaterial& master, uint32_t epoch);

class CryptFilter final : public Filter {
 public:
  static FilterResult<std::unique_ptr<CryptFilter>> create(const FilterPlacement& where, std::string_view config_json,
                                                           const FilterParams& params = {});
  ~CryptFilter() override;
  const FilterInfo& info() const override { return info_; }
  FilterStatus process(core::PacketBatch& batch, Direction dir, FilterHost& host) override;
  std::optional<core::Instant> timer(core::Instant now, FilterHost& host) override;
  void counters(core::CounterList& out) const override;
  FilterResult<std::vector<uint8_t>> save_state() const override;
  FilterStatus restore_state(std::span<const uint8_t> state) override;
  FilterResult<std::string> ioctl(std::string_view request) override;
  FilterStatus config_changed(std::string_view config_json) override;

  struct Sa;  // one direction of one epoch: cipher context + sequence / replay state
  struct PolicyState;

 private:
  CryptFilter(FilterInfo info, CryptConfig cfg);
  DropReason encrypt(core::PacketPtr& p, PolicyState& ps, FilterHost& host, int64_t now);
  DropReason decrypt(core::PacketPtr& p, PolicyState& ps, uint32_t epoch, FilterHost& host);
  void rekey_out(PolicyState& ps, int64_t now);

  FilterInfo info_;
  CryptConfig cfg_;
  std::vector<std::unique_ptr<PolicyState>> states_;
  int64_t last_now_ns_ = 0;
  uint64_t encrypted_ = 0, decrypted_ = 0, rekeys_ = 0, passthrough_esp_ = 0;
};

}  // namespace vnetref::iochain::crypt
