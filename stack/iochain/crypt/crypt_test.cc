#include "stack/iochain/crypt/crypt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>

#include "stack/iochain/testing/harness.h"

namespace vnetref::iochain::crypt {
namespace {

using testing::Harness;
using testing::ip;
using namespace std::chrono_literals;

const std::string kKeyA = std::string(64, 'a') + "01020304";  // A -> B
const std::string kKeyB = std::string(64, 'b') + "05060708";  // B -> A

std::string cfg(bool a_side, const std::string& extra = "") {
  const std::string out = a_side ? kKeyA : kKeyB, in = a_side ? kKeyB : kKeyA;
  const char* so = a_side ? "4096" : "8192";
  const char* si = a_side ? "8192" : "4096";
  const char* match = a_side ? R"([{"dst": ["10.0.2.0/24"]}])" : R"([{"dst": ["10.0.1.0/24"]}])";
  return std::string(R"({"policies": [{"id": 1, "match": )") + match + R"(, "spi_out": )" + so + R"(, "spi_in": )" + si +
         R"(, "key_out": ")" + out + R"(", "key_in": ")" + in + "\"" + extra + "}]}";
}

std::unique_ptr<Filter> make(const std::string& c) {
  auto f = CryptFilter::create(FilterPlacement{15, 1, 0, 7, "crypt"}, c);
  EXPECT_TRUE(f) << (f ? "" : f.error().to_string());
  return f ? std::unique_ptr<Filter>(std::move(f).value()) : nullptr;
}

struct Crypt : ::testing::Test {
  void SetUp() override {
    ASSERT_TRUE(a.chain.attach(15, make(cfg(true, extra)), FailurePolicy::kFailClosed));
    ASSERT_TRUE(b.chain.attach(15, make(cfg(false, extra)), FailurePolicy::kFailClosed));
  }
  // A's VM sends; returns the wire packet (ESP) or empty.
  std::vector<uint8_t> a_send(const std::vector<uint8_t>& frame) {
    if (!a.send(frame, Direction::kEgress)) return {};
    auto& p = a.passed_egress.back();
    return std::vector<uint8_t>(p->data(), p->data() + p->data_len);
  }
  bool b_receive(const std::vector<uint8_t>& wire) { return b.send(wire, Direction::kIngress); }
  std::vector<uint8_t> b_last() {
    auto& p = b.passed_ingress.back();
    return std::vector<uint8_t>(p->data(), p->data() + p->data_len);
  }
  std::string extra;
  Harness a, b;
  testing::L2 l2;
};

TEST_F(Crypt, RoundTripRestoresTheExactPacket) {
  for (uint32_t size : {0u, 1u, 2u, 3u, 4u, 5u, 100u, 1400u}) {
    auto frame = testing::udp_frame(l2, ip("10.0.1.5"), ip("10.0.2.9"), 4000, 5000, size);
    auto wire = a_send(frame);
    ASSERT_FALSE(wire.empty());
    PacketInfo pi;
    ASSERT_TRUE(parse_packet(wire, 0, pi));
    EXPECT_EQ(pi.proto, 50);
    EXPECT_EQ((wire.size() - 14 - 20 - 16 - 16) % 4, 0u);  // padded to 4 (RFC 4303 2.4)
    ASSERT_TRUE(b_receive(wire)) << size;
    EXPECT_EQ(b_last(), frame) << size;
  }
  EXPECT_EQ(a.counter("crypt.encrypted"), 8u);
  EXPECT_EQ(b.counter("crypt.decrypted"), 8u);
}

TEST_F(Crypt, UnmatchedTrafficStaysPlain) {
  auto frame = testing::udp_frame(l2, ip("10.0.1.5"), ip("10.0.9.9"), 1, 2);
  EXPECT_EQ(a_send(frame), frame);
}

TEST_F(Crypt, WireFormatIsRfc4106) {
  auto frame = testing::tcp_frame(l2, ip("10.0.1.5"), ip("10.0.2.9"), testing::TcpSeg{});
  auto wire = a_send(frame);
  const uint8_t* esp = wire.data() + 14 + 20;
  EXPECT_EQ((uint32_t{esp[0]} << 24) | (esp[1] << 16) | (esp[2] << 8) | esp[3], 4096u);  // SPI, epoch 0
  EXPECT_EQ(esp[7], 1);  // sequence number 1
  // Independent decryption: nonce = salt || explicit IV, AAD = SPI || seq.
  uint8_t key[32], nonce[12];
  std::memset(key, 0xaa, 32);
  const uint8_t salt[4] = {1, 2, 3, 4};
  std::memcpy(nonce, salt, 4);
  std::memcpy(nonce + 4, esp + 8, 8);
  const int ct_len = static_cast<int>(wire.size() - 14 - 20 - 16 - 16);
  std::vector<uint8_t> pt(static_cast<size_t>(ct_len) + 16);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int len = 0, fin = 0;
  ASSERT_EQ(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), nullptr, key, nonce), 1);
  ASSERT_EQ(EVP_DecryptUpdate(c, nullptr, &len, esp, 8), 1);
  ASSERT_EQ(EVP_DecryptUpdate(c, pt.data(), &len, esp + 16, ct_len), 1);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, const_cast<uint8_t*>(esp + 16 + ct_len)), 1);
  EXPECT_EQ(EVP_DecryptFinal_ex(c, pt.data() + len, &fin), 1);
  EVP_CIPHER_CTX_free(c);
  EXPECT_EQ(pt[static_cast<size_t>(ct_len) - 1], 6);  // next header: TCP
  EXPECT_EQ(0, std::memcmp(pt.data(), frame.data() + 34, frame.size() - 34));
}

TEST_F(Crypt, TamperedAndReplayedPacketsAreDropped) {
  auto frame = testing::udp_frame(l2, ip("10.0.1.5"), ip("10.0.2.9"), 1, 2, 40);
  auto w1 = a_send(frame);
  auto bad = w1;
  bad[bad.size() - 20] ^= 1;
  EXPECT_FALSE(b_receive(bad));
  EXPECT_EQ(b.counter("crypt.drop.esp_auth_failed"), 1u);
  EXPECT_TRUE(b_receive(w1));
  EXPECT_FALSE(b_receive(w1));
  EXPECT_EQ(b.counter("crypt.drop.esp_replay"), 1u);
  // Out of order inside the window is fine; left of the window is not.
  std::vector<std::vector<uint8_t>> later;
  for (int i = 0; i < 70; ++i) later.push_back(a_send(frame));
  EXPECT_TRUE(b_receive(later[69]));
  EXPECT_TRUE(b_receive(later[10]));   // seq 12, T = 71: inside 64
  EXPECT_FALSE(b_receive(later[2]));   // seq 4: left of the window
  EXPECT_EQ(b.counter("crypt.drop.esp_replay"), 2u);
  auto shortp = w1;
  shortp.resize(14 + 20 + 10);
  shortp[14 + 3] = 30;  // IP total length
  EXPECT_FALSE(b_receive(shortp));
  EXPECT_EQ(b.counter("crypt.drop.esp_malformed"), 1u);
}

TEST_F(Crypt, PlaintextFromAPolicyPeerIsRefused) {
  auto frame = testing::udp_frame(l2, ip("10.0.2.9"), ip("10.0.1.5"), 1, 2);
  EXPECT_FALSE(a.send(frame, Direction::kIngress));
  EXPECT_EQ(a.counter("crypt.drop.plaintext_violation"), 1u);
}

struct CryptRekey : Crypt {
  CryptRekey() { extra = R"(, "rekey_after_packets": 3, "rekey_after_seconds": 60)"; }
};

TEST_F(CryptRekey, RekeysByPacketsAndTimeAndTheReceiverFollows) {
  auto frame = testing::udp_frame(l2, ip("10.0.1.5"), ip("10.0.2.9"), 1, 2, 10);
  std::vector<uint32_t> spis;
  for (int i = 0; i < 7; ++i) {
    auto w = a_send(frame);
    spis.push_back((uint32_t{w[34]} << 24) | (w[35] << 16) | (w[36] << 8) | w[37]);
    ASSERT_TRUE(b_receive(w)) << i;
  }
  EXPECT_EQ(spis, (std::vector<uint32_t>{4096, 4096, 4096, 4097, 4097, 4097, 4098}));
  EXPECT_EQ(b.counter("crypt.policy.1.epoch_in"), 2u);
  a.advance(61s);
  auto w = a_send(frame);
  EXPECT_EQ(w[37], 0x03);  // epoch 3 by time
  EXPECT_TRUE(b_receive(w));
  // An epoch two ahead of the receiver is unknown.
  EXPECT_EQ(a.chain.ioctl(15, "rekey").value_or(""), "ok\n");
  EXPECT_EQ(a.chain.ioctl(15, "rekey").value_or(""), "ok\n");
  EXPECT_FALSE(b_receive(a_send(frame)));
  EXPECT_EQ(b.counter("crypt.drop.esp_unknown_spi"), 1u);
}

TEST_F(Crypt, SaveRestoreKeepsSequenceNumbers) {
  auto frame = testing::udp_frame(l2, ip("10.0.1.5"), ip("10.0.2.9"), 1, 2, 10);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b_receive(a_send(frame)));
  auto saved = a.chain.save_state(15);
  ASSERT_TRUE(saved);
  Harness a2;
  ASSERT_TRUE(a2.chain.attach(15, make(cfg(true)), FailurePolicy::kFailClosed));
  ASSERT_TRUE(a2.chain.restore_state(15, *saved));
  EXPECT_EQ(*a2.chain.save_state(15), *saved);
  ASSERT_TRUE(a2.send(frame, Direction::kEgress));
  auto& p = a2.passed_egress.back();
  EXPECT_EQ(p->data()[14 + 20 + 7], 6);  // continues at sequence 6: no nonce reuse
  std::vector<uint8_t> w(p->data(), p->data() + p->data_len);
  EXPECT_TRUE(b_receive(w));
}

TEST(CryptConfig, Validation) {
  EXPECT_FALSE(CryptFilter::create(FilterPlacement{14, 1, 0, 7, "c"}, "{}"));
  auto f = CryptFilter::create(FilterPlacement{15, 1, 0, 7, "c"},
                               R"({"policies": [{"spi_out": 4096, "spi_in": 8192, "key_out": "00", "key_in": "00"}]})");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("config.policies[0].key_out"), std::string::npos) << f.error().message;
  auto g = CryptFilter::create(FilterPlacement{15, 1, 0, 7, "c"}, cfg(true, R"(, "replay_window": 100)"));
  ASSERT_FALSE(g);
}

}  // namespace
}  // namespace vnetref::iochain::crypt
