// protocol_bridge: the filter side of conformance/PROTOCOL.md, serving any slot
// implementation the verifier can load (the reference or a vendor .so) over
// stdin/stdout. It proves the protocol path end to end (the suites must give the same
// verdicts through it as in-process) and is a worked example for people writing a
// peer in another language.
//
//   protocol_bridge [--impl reference|PATH.so]
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "conformance/trace/parser.h"
#include "conformance/verify/implementations.h"
#include "conformance/verify/reference.h"
#include "stack/core/batch.h"
#include "stack/core/buffer_pool.h"
#include "stack/core/views.h"

using namespace vnetref;               // NOLINT(build/namespaces): a main file
using namespace vnetref::conformance;  // NOLINT(build/namespaces)

namespace {

std::vector<std::string> split(const std::string& s, size_t max_fields) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    if (max_fields != 0 && out.size() + 1 == max_fields) {
      out.push_back(s.substr(i));
      break;
    }
    const size_t j = s.find(' ', i);
    out.push_back(s.substr(i, j == std::string::npos ? std::string::npos : j - i));
    i = j == std::string::npos ? s.size() : j;
  }
  return out;
}

bool read_line(std::string& line) {
  if (!std::getline(std::cin, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

void out(const std::string& line) { std::cout << line << '\n'; }

std::string hex_of(const core::Packet& p) {
  std::string s;
  for (const core::Packet* x = &p; x != nullptr; x = x->next) s += to_hex(x->bytes());
  return s;
}

std::optional<std::vector<uint8_t>> unhex(const std::string& s) {
  if (s == "-") return std::vector<uint8_t>{};
  auto p = parse_hex_pattern(s, false);
  if (!p) return std::nullopt;
  return std::move(p->bytes);
}

const char* dir_word(core::Direction d) { return d == core::Direction::kEgress ? "egress" : "ingress"; }

class Bridge final : public iochain::FilterHost {
 public:
  explicit Bridge(Implementation& impl) : impl_(impl), pool_(512, 9216 + 128, 128, "bridge") {}
  int serve();

  // FilterHost
  core::Instant now() const override { return core::from_nanos(now_); }
  void drop(core::PacketPtr p, uint32_t reason) override {
    if (!p) return;
    const std::string name = reason < reasons_.size() ? reasons_[reason] : "unknown";
    if (is_fresh(*p)) return;  // a packet the filter made itself: nothing to tell the host
    out("drop " + std::to_string(p->meta.user) + " " + name);
    disposed_.insert(p->meta.user);
  }
  bool fault(core::PacketPtr p, std::span<const uint8_t> meta) override {
    if (!p) return false;
    if (is_fresh(*p)) {
      out("log 2 bridge: a filter-made packet was faulted; the protocol cannot express it, dropped");
      return false;
    }
    out("fault " + std::to_string(p->meta.user) + " " + (meta.empty() ? std::string("-") : to_hex(meta)));
    disposed_.insert(p->meta.user);
    return true;
  }
  bool fault_copy(const core::Packet& p, std::span<const uint8_t> meta) override {
    if (is_fresh(p)) return false;
    out("copy " + std::to_string(p.meta.user) + " " + (meta.empty() ? std::string("-") : to_hex(meta)));
    return true;
  }
  void inject(core::PacketPtr p, core::Direction dir) override {
    if (!p) return;
    if (is_fresh(*p)) {
      fresh_.erase(p.get());
      out(std::string("new ") + dir_word(dir) + " " + hex_of(*p));
      return;
    }
    out("inject " + std::to_string(p->meta.user) + " " + dir_word(dir) + " " + hex_of(*p));
    disposed_.insert(p->meta.user);
  }
  core::PacketPtr alloc(uint32_t len) override {
    core::PacketPtr p = pool_.alloc();
    if (!p) return p;
    core::SkBuff skb(*p);
    if (skb.put(len) == nullptr) return {};
    p->pkt_len = p->data_len;
    fresh_.insert(p.get());
    return p;
  }
  bool make_writable(core::PacketPtr& p) override {
    const bool fresh = p && is_fresh(*p);
    const bool ok = pool_.make_writable(p);
    if (ok && fresh) fresh_.insert(p.get());
    return ok;
  }
  bool service_up(std::string_view service) override {
    out("service? " + std::string(service));
    std::cout.flush();
    std::string line;
    if (!read_line(line)) return false;
    return line == "service " + std::string(service) + " up";
  }
  void request_timer(core::Instant when) override { out("next " + std::to_string(core::to_nanos(when))); }
  void log(int level, std::string_view line) override {
    std::string l(line);
    for (char& c : l) {
      if (c == '\n') c = ' ';
    }
    out("log " + std::to_string(level) + " " + l);
  }

 private:
  bool is_fresh(const core::Packet& p) const { return fresh_.count(&p) != 0; }
  void error(const std::string& status, const std::string& msg) { out("error " + status + " " + msg); }
  void status(const iochain::FilterStatus& st) {
    if (st) {
      out("ok");
    } else {
      error(status_word(st.error().code), st.error().message);
    }
  }
  static std::string status_word(iochain::FilterError e) {
    using iochain::FilterError;
    switch (e) {
      case FilterError::kInvalid: return "invalid";
      case FilterError::kNoMem: return "nomem";
      case FilterError::kBusy: return "busy";
      case FilterError::kUnsupported: return "unsupported";
      case FilterError::kState: return "state";
      case FilterError::kFailed: return "failed";
      case FilterError::kVersion: return "version";
      case FilterError::kDown: return "down";
    }
    return "failed";
  }
  void run_batch(const std::vector<std::string>& f, bool returned);

  Implementation& impl_;
  core::BufferPool pool_;
  std::unique_ptr<iochain::Filter> filter_;
  std::vector<std::string> reasons_;
  iochain::FilterParams params_;
  int64_t now_ = 0;
  std::set<const core::Packet*> fresh_;
  std::set<uint64_t> disposed_;
};

void Bridge::run_batch(const std::vector<std::string>& f, bool returned) {
  // process DIR NOW COUNT | returned DIR NOW COUNT META
  const size_t want = returned ? 5 : 4;
  if (f.size() != want || !filter_) {
    error("invalid", "bad request or no filter");
    return;
  }
  const core::Direction dir = f[1] == "ingress" ? core::Direction::kIngress : core::Direction::kEgress;
  now_ = std::atoll(f[2].c_str());
  const long count = std::atol(f[3].c_str());
  std::vector<uint8_t> meta;
  if (returned) meta = unhex(f[4]).value_or(std::vector<uint8_t>{});
  core::PacketBatch batch;
  std::map<uint64_t, std::vector<uint8_t>> original;
  bool bad = false;
  for (long i = 0; i < count; ++i) {
    std::string line;
    if (!read_line(line)) return;
    auto p = split(line, 4);  // packet HANDLE VLAN HEX
    auto bytes = p.size() == 4 && p[0] == "packet" ? unhex(p[3]) : std::nullopt;
    if (!bytes || bytes->empty()) {
      bad = true;
      continue;
    }
    core::PacketPtr pkt = pool_.alloc_copy(*bytes);
    if (!pkt) {
      bad = true;
      continue;
    }
    pkt->meta.user = std::strtoull(p[1].c_str(), nullptr, 10);
    pkt->meta.vlan_tci = static_cast<uint16_t>(std::atoi(p[2].c_str()));
    pkt->meta.direction = dir;
    original[pkt->meta.user] = *bytes;
    (void)batch.push(std::move(pkt));
  }
  if (bad) {
    error("invalid", "bad packet line or no buffer");
    return;
  }
  disposed_.clear();
  iochain::FilterStatus st = returned ? filter_->process_returned(batch, dir, meta, *this)
                                      : filter_->process(batch, dir, *this);
  batch.compact();
  std::set<uint64_t> left;
  for (core::Packet* p : batch) {
    left.insert(p->meta.user);
    const std::string now_hex = hex_of(*p);
    if (now_hex != to_hex(original[p->meta.user])) {
      out("modify " + std::to_string(p->meta.user) + " " + now_hex);
    }
  }
  for (const auto& [h, bytes] : original) {
    if (!left.count(h) && !disposed_.count(h)) out("hold " + std::to_string(h));
  }
  batch.clear();
  status(st);
}

int Bridge::serve() {
  std::string line;
  while (read_line(line)) {
    auto f = split(line, 0);
    if (f.empty()) continue;
    const std::string& verb = f[0];
    if (verb == "hello") {
      std::string slots = "slots";
      for (uint32_t s = 0; s < 16; ++s) {
        if (impl_.provides(s)) slots += " " + std::to_string(s);
      }
      out(slots);
      out("ok");
    } else if (verb == "param" && f.size() == 3) {
      auto k = unhex(f[1]);
      auto v = unhex(f[2]);
      if (!k || !v) {
        error("invalid", "param needs hex key and value");
      } else {
        params_.emplace_back(std::string(k->begin(), k->end()), std::string(v->begin(), v->end()));
        out("ok");
      }
    } else if (verb == "create") {
      auto c = split(line, 7);  // create SLOT VM VNIC PORT NAME JSON
      if (c.size() != 7) {
        error("invalid", "usage: create SLOT VM VNIC PORT NAME JSON");
      } else {
        FilterSpec spec;
        spec.slot = static_cast<uint32_t>(std::atoi(c[1].c_str()));
        spec.config_json = c[6];
        spec.params = params_;
        iochain::FilterPlacement where;
        where.slot = spec.slot;
        where.vm_id = static_cast<uint32_t>(std::atol(c[2].c_str()));
        where.vnic_index = static_cast<uint32_t>(std::atol(c[3].c_str()));
        where.port_id = static_cast<uint32_t>(std::atol(c[4].c_str()));
        where.name = c[5] == "-" ? "" : c[5];
        auto made = impl_.create(spec, where);
        if (!made) {
          error(status_word(made.error().code), made.error().message);
        } else {
          filter_ = std::move(*made);
          const auto& info = filter_->info();
          reasons_ = info.drop_reasons;
          out("agent " + info.agent);
          out("prefix " + info.counter_prefix);
          std::string r = "reasons";
          for (const auto& n : info.drop_reasons) r += " " + n;
          out(r);
          out("ok");
        }
      }
    } else if (verb == "process") {
      run_batch(f, false);
    } else if (verb == "returned") {
      run_batch(f, true);
    } else if (verb == "timer" && f.size() == 2 && filter_) {
      now_ = std::atoll(f[1].c_str());
      auto next = filter_->timer(core::from_nanos(now_), *this);
      if (next) out("next " + std::to_string(core::to_nanos(*next)));
      out("ok");
    } else if (verb == "counters" && filter_) {
      core::CounterList list;
      filter_->counters(list);
      for (const auto& c : list) out("counter " + c.name + " " + std::to_string(c.value));
      out("ok");
    } else if (verb == "save" && filter_) {
      auto s = filter_->save_state();
      if (!s) {
        error(status_word(s.error().code), s.error().message);
      } else {
        out("state " + (s->empty() ? std::string("-") : to_hex(*s)));
        out("ok");
      }
    } else if (verb == "restore" && f.size() == 2 && filter_) {
      auto b = unhex(f[1]);
      if (!b) {
        error("state", "bad hex");
      } else {
        status(filter_->restore_state(*b));
      }
    } else if (verb == "ioctl" && filter_) {
      auto r = filter_->ioctl(line.size() > 6 ? line.substr(6) : std::string());
      if (!r) {
        error(status_word(r.error().code), r.error().message);
      } else {
        size_t start = 0;
        while (start < r->size()) {
          size_t nl = r->find('\n', start);
          if (nl == std::string::npos) nl = r->size();
          out("reply " + r->substr(start, nl - start));
          start = nl + 1;
        }
        out("ok");
      }
    } else if (verb == "config" && filter_) {
      status(filter_->config_changed(line.size() > 7 ? line.substr(7) : std::string("{}")));
    } else if (verb == "destroy") {
      filter_.reset();
      out("ok");
      std::cout.flush();
      return 0;
    } else {
      error("invalid", "unknown request or no filter yet: " + verb);
    }
    std::cout.flush();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string spec = "reference";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--impl" && i + 1 < argc) spec = argv[++i];
  }
  auto impl = make_implementation(spec, reference_entry());
  if (!impl) {
    std::cerr << "protocol_bridge: " << impl.error() << "\n";
    return 2;
  }
  Bridge b(**impl);
  return b.serve();
}
