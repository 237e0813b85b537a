// Interoperability with the Linux kernel over a TAP device.
//
// Each test runs in a private network namespace created by tap_interop_test.sh
// (`unshare -n`), holding only `lo` and the TAP device this test creates: Linux is
// 10.77.0.1 on the TAP, the stack is 10.77.0.2 behind it. The tests refuse to run
// (skip with a message) without root/CAP_NET_ADMIN, without /dev/net/tun, or when the
// namespace has any other interface, so they can never touch a real network.
//
// Live time: core::MonotonicClock, and every wait is bounded.
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/driver/tap/tap_device.h"
#include "stack/inet/instance.h"

namespace vnetref::driver::tap {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTap = "vtap0";
constexpr const char* kLinuxIp = "10.77.0.1";
constexpr const char* kStackIp = "10.77.0.2";
constexpr uint64_t kBulk = 64ull << 20;  // 64 MiB

uint32_t ipu(const char* s) { return wire::Ipv4Address::parse(s)->to_u32(); }

// Why we must not run here, or empty when it is safe.
std::string unsafe_reason() {
  if (geteuid() != 0) return "needs root (CAP_NET_ADMIN)";
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) return "no /dev/net/tun";
  // if_nameindex() asks the kernel about *this* namespace (/sys/class/net may still
  // show the namespace that mounted sysfs).
  std::vector<std::string> ifs;
  if (struct if_nameindex* list = ::if_nameindex()) {
    for (struct if_nameindex* i = list; i->if_index != 0; ++i) ifs.emplace_back(i->if_name);
    ::if_freenameindex(list);
  }
  for (const auto& n : ifs) {
    if (n != "lo" && n != kTap) return "not in a private network namespace (found interface " + n +
                                         "); run through tap_interop_test.sh";
  }
  return "";
}

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  void update(const uint8_t* p, size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  std::string hex() {
    unsigned char md[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    std::string out;
    char b[3];
    for (unsigned i = 0; i < len; ++i) {
      std::snprintf(b, sizeof(b), "%02x", md[i]);
      out += b;
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

// A child process (Linux-side tool) whose stdout we collect without blocking.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      std::vector<char*> a;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execvp(a[0], a.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_fd_ = fds[0];
    ::fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);  // our own child, by pid
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  // Non-blocking: collects output and reaps the child when it is done.
  bool done() {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out_fd_, buf, sizeof(buf))) > 0) out_.append(buf, static_cast<size_t>(n));
    if (!exited_ && pid_ > 0) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        exited_ = true;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
    }
    return exited_ && n == 0;
  }
  const std::string& out() const { return out_; }
  int status() const { return status_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool exited_ = false;
  int status_ = -1;
  std::string out_;
};

class TapInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = unsafe_reason();
    if (!why.empty()) GTEST_SKIP() << "TAP interop skipped: " << why;
    inet::InstanceConfig cfg;
    cfg.name = "tap";
    cfg.pool_packets = 16384;
    instance_ = std::make_unique<inet::Instance>(cfg, clock_, wheel_);
    auto dev = TapDevice::open(kTap, instance_->pool());
    ASSERT_TRUE(dev) << name_of(dev.error());
    tap_ = std::move(*dev);
    ASSERT_EQ(sh(std::string("ip link set lo up && ip addr add ") + kLinuxIp + "/24 dev " + kTap +
                 " && ip link set " + kTap + " up"),
              0);
    inet::Netstack& net = instance_->net();
    ifindex_ = *net.add_interface({"vmk0", wire::MacAddress(0x02, 0, 0, 0x77, 0, 2), 1500, std::nullopt, 0});
    ASSERT_TRUE(net.attach(ifindex_, *tap_));
    ASSERT_TRUE(net.add_address(ifindex_, *wire::Ipv4Address::parse(kStackIp), 24));
  }
  void TearDown() override {
    instance_.reset();
    tap_.reset();  // closing the fd removes the (non-persistent) device
  }

  // Runs the stack until `done` or `limit` passes; false on timeout.
  bool pump_until(const std::function<bool()>& done, core::Duration limit) {
    const core::Instant deadline = clock_.now() + limit;
    while (!done()) {
      if (clock_.now() > deadline) return false;
      tap_->wait_readable(1ms);
      tap_->poll_rx(256);
      wheel_.run_expired();
      if (on_tick_) on_tick_();
    }
    return true;
  }

  core::MonotonicClock clock_;
  core::TimerWheel wheel_{clock_};
  std::unique_ptr<inet::Instance> instance_;
  std::unique_ptr<TapDevice> tap_;
  uint32_t ifindex_ = 0;
  std::function<void()> on_tick_;
};

TEST_F(TapInterop, LinuxPingGetsReplies) {
  Child ping({"ping", "-c", "3", "-i", "0.2", "-W", "2", kStackIp});
  ASSERT_TRUE(pump_until([&] { return ping.done(); }, 20s)) << "ping did not finish";
  EXPECT_EQ(ping.status(), 0) << ping.out();
  EXPECT_NE(ping.out().find("3 received"), std::string::npos) << ping.out();
  EXPECT_GE(instance_->net().icmp_stats().echo_replies_out, 3u);
}

TEST_F(TapInterop, StackAnswersArpAndResolvesLinuxMac) {
  // Linux resolves us (its ping needs our MAC) ...
  Child ping({"ping", "-c", "1", "-W", "2", kStackIp});
  ASSERT_TRUE(pump_until([&] { return ping.done(); }, 20s));
  EXPECT_EQ(ping.status(), 0) << ping.out();
  EXPECT_GE(instance_->net().arp().stats().replies_sent, 1u);
  Child neigh({"ip", "neigh", "show", kStackIp});
  ASSERT_TRUE(pump_until([&] { return neigh.done(); }, 10s));
  EXPECT_NE(neigh.out().find("02:00:00:77:00:02"), std::string::npos) << neigh.out();
  // ... and we resolve Linux: an echo request from the stack gets its reply.
  std::string linux_mac;
  {
    const int sfd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr {};
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", kTap);
    ASSERT_EQ(::ioctl(sfd, SIOCGIFHWADDR, &ifr), 0);
    ::close(sfd);
    linux_mac = wire::MacAddress::from_bytes({reinterpret_cast<const uint8_t*>(ifr.ifr_hwaddr.sa_data), 6}).to_string();
  }
  bool replied = false;
  instance_->net().set_echo_reply_handler([&](const inet::EchoReply& r) { replied = r.payload_matches; });
  ASSERT_TRUE(instance_->net().send_echo_request(ipu(kLinuxIp), 42, 1, 56));
  ASSERT_TRUE(pump_until([&] { return replied; }, 10s));
  auto m = instance_->net().arp().peek(ifindex_, ipu(kLinuxIp));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to_string(), linux_mac);
}

TEST_F(TapInterop, UdpExchangeBothWays) {
  inet::Sockets& so = instance_->sockets();
  const int fd = *so.socket(inet::SockType::kDgram);
  ASSERT_TRUE(so.bind(fd, {0, 9000}));
  // Linux sends, we answer to the source address; Linux prints what it got back.
  Child py({"/usr/bin/python3", "-c",
            "import socket\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "s.bind(('10.77.0.1',9001)); s.settimeout(10)\n"
            "s.sendto(b'hello-from-linux',('10.77.0.2',9000))\n"
            "d,a=s.recvfrom(100); print(d.decode(), a[0], a[1], flush=True)\n"});
  std::string got;
  on_tick_ = [&] {
    uint8_t buf[128];
    inet::SockAddr from;
    if (auto n = so.recv_from(fd, buf, &from)) {
      got.assign(reinterpret_cast<char*>(buf), *n);
      const std::string reply = "hello-from-stack";
      (void)so.send_to(fd, {reinterpret_cast<const uint8_t*>(reply.data()), reply.size()}, from);
    }
  };
  ASSERT_TRUE(pump_until([&] { return py.done(); }, 20s));
  EXPECT_EQ(got, "hello-from-linux");
  EXPECT_EQ(py.status(), 0);
  EXPECT_EQ(py.out(), "hello-from-stack 10.77.0.2 9000\n");
}

TEST_F(TapInterop, LinuxTcpClientSends64MiBToStackListener) {
  inet::Sockets& so = instance_->sockets();
  const int lfd = *so.socket(inet::SockType::kStream);
  ASSERT_TRUE(so.bind(lfd, {0, 5001}));
  ASSERT_TRUE(so.listen(lfd, 4));
  Child py({"/usr/bin/python3", "-c",
            "import socket,hashlib\n"
            "N=64<<20\n"
            "chunk=bytes((i*7+i//256)&255 for i in range(65536))\n"
            "s=socket.create_connection(('10.77.0.2',5001),timeout=60)\n"
            "h=hashlib.sha256(); sent=0\n"
            "while sent<N:\n"
            "  s.sendall(chunk); h.update(chunk); sent+=len(chunk)\n"
            "s.shutdown(socket.SHUT_WR)\n"
            "s.recv(1)\n"
            "print(h.hexdigest(), flush=True)\n"});
  int afd = -1;
  uint64_t total = 0;
  bool eof = false;
  Sha256 sha;
  std::vector<uint8_t> buf(256 * 1024);
  on_tick_ = [&] {
    if (afd < 0) {
      if (auto a = so.accept(lfd)) afd = *a;
    }
    if (afd < 0 || eof) return;
    for (;;) {
      auto n = so.recv(afd, buf);
      if (!n) break;
      if (*n == 0) {
        eof = true;
        (void)so.close(afd);
        break;
      }
      sha.update(buf.data(), *n);
      total += *n;
    }
  };
  ASSERT_TRUE(pump_until([&] { return py.done(); }, 180s)) << "received " << total;
  EXPECT_EQ(py.status(), 0);
  EXPECT_TRUE(eof);
  EXPECT_EQ(total, kBulk);
  std::string linux_hash = py.out();
  if (!linux_hash.empty() && linux_hash.back() == '\n') linux_hash.pop_back();
  EXPECT_EQ(sha.hex(), linux_hash);
}

TEST_F(TapInterop, StackTcpClientSends64MiBToLinuxListener) {
  Child py({"/usr/bin/python3", "-c",
            "import socket,hashlib\n"
            "l=socket.socket(); l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
            "l.bind(('10.77.0.1',5002)); l.listen(1); l.settimeout(60)\n"
            "print('ready',flush=True)\n"
            "c,_=l.accept(); c.settimeout(60); h=hashlib.sha256(); n=0\n"
            "while True:\n"
            "  d=c.recv(1<<20)\n"
            "  if not d: break\n"
            "  h.update(d); n+=len(d)\n"
            "print(n, h.hexdigest(), flush=True)\n"});
  ASSERT_TRUE(pump_until([&] { return py.done() || py.out().find("ready") != std::string::npos; }, 20s));
  inet::Sockets& so = instance_->sockets();
  const int fd = *so.socket(inet::SockType::kStream);
  auto c = so.connect(fd, {ipu(kLinuxIp), 5002});
  ASSERT_TRUE(c || c.error() == inet::SocketError::kInProgress);
  std::vector<uint8_t> chunk(65536);
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<uint8_t>(i * 13 + (i >> 9));
  Sha256 sha;
  uint64_t sent = 0;
  size_t off = 0;  // position inside the current chunk
  bool closed = false;
  on_tick_ = [&] {
    while (sent < kBulk && (so.poll(fd) & inet::PollEvents::kOut)) {
      auto n = so.send(fd, std::span<const uint8_t>(chunk).subspan(off));
      if (!n) break;
      sha.update(chunk.data() + off, *n);
      sent += *n;
      off = (off + *n) % chunk.size();
    }
    if (sent == kBulk && !closed) {
      (void)so.shutdown(fd, inet::ShutdownHow::kWrite);
      closed = true;
    }
  };
  ASSERT_TRUE(pump_until([&] { return py.done(); }, 180s)) << "sent " << sent;
  EXPECT_EQ(py.status(), 0);
  EXPECT_EQ(sent, kBulk);
  EXPECT_EQ(py.out(), "ready\n" + std::to_string(kBulk) + " " + sha.hex() + "\n");
  (void)so.close(fd);
}

}  // namespace
}  // namespace vnetref::driver::tap
