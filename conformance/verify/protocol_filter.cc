#include "conformance/verify/protocol_filter.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "conformance/trace/parser.h"
#include "conformance/trace/trace.h"

namespace vnetref::conformance {

using iochain::FilterError;
using iochain::FilterFailure;

void ProtocolJournal::note(std::string line) {
  if (violations.size() < 64) violations.push_back(std::move(line));
}

// ---- Peer ------------------------------------------------------------------------

iochain::FilterResult<std::unique_ptr<Peer>> Peer::spawn(const std::string& command) {
  int in[2];   // host -> peer
  int out[2];  // peer -> host
  if (pipe2(in, O_CLOEXEC) != 0) return iochain::filter_error(FilterError::kFailed, std::strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return iochain::filter_error(FilterError::kFailed, std::strerror(errno));
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return iochain::filter_error(FilterError::kFailed, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    signal(SIGPIPE, SIG_DFL);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  auto p = std::unique_ptr<Peer>(new Peer());
  p->pid_ = pid;
  p->to_ = in[1];
  p->from_ = fdopen(out[0], "r");
  if (p->from_ == nullptr) {
    ::close(out[0]);
    return iochain::filter_error(FilterError::kFailed, "fdopen failed");
  }
  return p;
}

Peer::~Peer() {
  if (to_ >= 0) ::close(to_);
  if (from_ != nullptr) std::fclose(from_);
  if (pid_ > 0) {
    // Give the peer a moment to exit on EOF, then make sure it does.
    for (int i = 0; i < 100; ++i) {
      int st = 0;
      const pid_t r = waitpid(pid_, &st, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    kill(pid_, SIGKILL);
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
}

bool Peer::send(const std::string& line) {
  std::string s = line;
  s.push_back('\n');
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(to_, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

bool Peer::recv(std::string& line) {
  line.clear();
  for (;;) {
    const int c = std::getc(from_);
    if (c == EOF) return false;
    if (c == '\n') break;
    if (line.size() >= kProtocolMaxLine) return false;
    line.push_back(static_cast<char>(c));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

// ---- helpers ---------------------------------------------------------------------

namespace {

std::vector<std::string> split(const std::string& s, size_t max_fields = 0) {
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

std::optional<FilterError> error_from(const std::string& name) {
  if (name == "invalid") return FilterError::kInvalid;
  if (name == "nomem") return FilterError::kNoMem;
  if (name == "busy") return FilterError::kBusy;
  if (name == "unsupported") return FilterError::kUnsupported;
  if (name == "state") return FilterError::kState;
  if (name == "failed") return FilterError::kFailed;
  if (name == "version") return FilterError::kVersion;
  if (name == "down") return FilterError::kDown;
  return std::nullopt;
}

bool parse_u64(const std::string& s, uint64_t& v) {
  if (s.empty() || s.size() > 20) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (~uint64_t{0} - d) / 10) return false;
    v = v * 10 + d;
  }
  return true;
}

std::optional<std::vector<uint8_t>> hex_or_dash(const std::string& s) {
  if (s == "-") return std::vector<uint8_t>{};
  auto p = parse_hex_pattern(s, false);
  if (!p) return std::nullopt;
  return std::move(p->bytes);
}

std::string dir_word(iochain::Direction d) { return d == iochain::Direction::kEgress ? "egress" : "ingress"; }

std::optional<iochain::Direction> dir_from(const std::string& s) {
  if (s == "egress") return iochain::Direction::kEgress;
  if (s == "ingress") return iochain::Direction::kIngress;
  return std::nullopt;
}

std::string packet_hex(const core::Packet& p) {
  std::string out;
  for (const core::Packet* s = &p; s != nullptr; s = s->next) out += to_hex(s->bytes());
  return out;
}

}  // namespace

std::vector<uint32_t> probe_slots(const std::string& command, std::string& error) {
  auto peer = Peer::spawn(command);
  if (!peer) {
    error = peer.error().message;
    return {};
  }
  std::vector<uint32_t> slots;
  if (!(*peer)->send("hello " + std::to_string(kProtocolVersion))) {
    error = "cannot write to the command";
    return {};
  }
  std::string line;
  while ((*peer)->recv(line)) {
    auto f = split(line);
    if (f.empty()) continue;
    if (f[0] == "slots") {
      for (size_t i = 1; i < f.size(); ++i) {
        uint64_t s = 0;
        if (parse_u64(f[i], s) && s < 16) slots.push_back(static_cast<uint32_t>(s));
      }
    } else if (f[0] == "ok") {
      (void)(*peer)->send("destroy");
      return slots;
    } else if (f[0] == "error") {
      error = "hello refused: " + line;
      return {};
    }
  }
  error = "the command exited or wrote an overlong line before answering \"hello\"";
  return {};
}

// ---- ProtocolFilter ----------------------------------------------------------------

iochain::FilterResult<std::unique_ptr<ProtocolFilter>> ProtocolFilter::create(
    const std::string& command, const iochain::FilterPlacement& where, const std::string& config_json,
    const iochain::FilterParams& params, std::shared_ptr<ProtocolJournal> journal) {
  auto peer = Peer::spawn(command);
  if (!peer) return core::Err<FilterFailure>(peer.error());
  auto f = std::unique_ptr<ProtocolFilter>(new ProtocolFilter());
  f->peer_ = std::move(*peer);
  f->journal_ = std::move(journal);
  for (const auto& [k, v] : params) {
    Reply r = f->call("param " + to_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(k.data()), k.size())) +
                      " " + to_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), v.size())));
    if (!r.ok) return core::Err<FilterFailure>(r.failure);
  }
  // JSON from our own parser is compact (no newlines), so it fits on the line.
  Reply r = f->call("create " + std::to_string(where.slot) + " " + std::to_string(where.vm_id) + " " +
                    std::to_string(where.vnic_index) + " " + std::to_string(where.port_id) + " " +
                    (where.name.empty() ? "-" : where.name) + " " + config_json);
  if (!r.ok) return core::Err<FilterFailure>(r.failure);
  for (const std::string& l : r.lines) {
    auto fl = split(l);
    if (fl.size() >= 2 && fl[0] == "agent") f->info_.agent = fl[1];
    if (fl.size() >= 2 && fl[0] == "prefix") f->info_.counter_prefix = fl[1];
    if (fl.size() >= 1 && fl[0] == "reasons") {
      for (size_t i = 1; i < fl.size() && i <= 64; ++i) f->info_.drop_reasons.push_back(fl[i]);
    }
  }
  if (f->info_.agent.empty()) f->info_.agent = "protocol-filter";
  if (f->info_.counter_prefix.empty()) f->info_.counter_prefix = "slot" + std::to_string(where.slot);
  return f;
}

ProtocolFilter::~ProtocolFilter() {
  if (peer_ && !broken_) (void)call("destroy");
  held_.clear();
}

void ProtocolFilter::violation(std::string what) const {
  broken_ = true;
  if (journal_) journal_->note("protocol: " + what);
}

ProtocolFilter::Reply ProtocolFilter::call(const std::string& request, const std::vector<std::string>& extra,
                                           iochain::FilterHost* host, core::PacketBatch* batch) const {
  Reply r;
  r.failure = FilterFailure{FilterError::kFailed, "the filter process is not usable"};
  if (broken_) return r;
  bool sent = peer_->send(request);
  for (const auto& e : extra) sent = sent && peer_->send(e);
  if (!sent) {
    violation("cannot write \"" + request.substr(0, 40) + "\": the filter process has exited");
    return r;
  }
  std::string line;
  while (peer_->recv(line)) {
    if (line.empty()) continue;
    auto f = split(line, 3);
    if (f[0] == "ok") {
      r.ok = true;
      return r;
    }
    if (f[0] == "error") {
      auto code = f.size() > 1 ? error_from(f[1]) : std::nullopt;
      if (!code) {
        violation("bad error line \"" + line.substr(0, 200) + "\" (status names: invalid nomem busy unsupported state failed version down)");
        return r;
      }
      r.failure = FilterFailure{*code, f.size() > 2 ? f[2] : std::string()};
      return r;
    }
    if (f[0] == "log") {
      if (journal_ && journal_->log.size() < (64u << 10)) journal_->log += line.substr(4) + "\n";
      if (host != nullptr) host->log(1, line.substr(4));
      continue;
    }
    if (f[0] == "service?") {
      const std::string name = f.size() > 1 ? line.substr(9) : std::string();
      const bool up = host != nullptr && host->service_up(name);
      if (!peer_->send("service " + name + (up ? " up" : " down"))) {
        violation("the filter process exited");
        return r;
      }
      continue;
    }
    if (host != nullptr && !apply_line(line, host, batch)) return r;
    if (host == nullptr) r.lines.push_back(line);
  }
  violation("the filter process exited (or wrote a line over 1 MiB) while answering \"" + request.substr(0, 40) + "\"");
  return r;
}

bool ProtocolFilter::apply_line(const std::string& line, iochain::FilterHost* host, core::PacketBatch* batch) const {
  auto f = split(line);
  const std::string& verb = f[0];
  const auto bad = [&](const std::string& why) {
    violation(why + ": \"" + line.substr(0, 200) + "\"");
    return false;
  };
  if (verb == "next") {
    uint64_t ns = 0;
    if (f.size() != 2 || !parse_u64(f[1], ns)) return bad("usage: next <ns>");
    if (ns != 0) {
      next_timer_ = core::from_nanos(static_cast<int64_t>(ns));
      host->request_timer(*next_timer_);
    }
    return true;
  }
  if (verb == "new") {
    if (f.size() != 3) return bad("usage: new <egress|ingress> <hex>");
    auto d = dir_from(f[1]);
    auto bytes = hex_or_dash(f[2]);
    if (!d || !bytes || bytes->empty()) return bad("bad direction or hex");
    core::PacketPtr p = host->alloc(static_cast<uint32_t>(bytes->size()));
    if (!p) return true;  // pool exhausted: the packet is lost, as with the C ABI's alloc
    std::memcpy(p->data(), bytes->data(), bytes->size());
    p->meta.direction = *d;
    host->inject(std::move(p), *d);
    return true;
  }
  uint64_t handle = 0;
  if (f.size() < 2 || !parse_u64(f[1], handle)) return bad("expected a packet handle");
  // The packet behind the handle: in the current batch, or held by the peer.
  core::PacketPtr taken;
  const auto it = in_batch_.find(handle);
  const bool in_batch = it != in_batch_.end() && batch != nullptr && (*batch)[it->second] != nullptr;
  const auto take = [&]() -> bool {
    if (in_batch) {
      taken = batch->take(it->second);
      return true;
    }
    auto h = held_.find(handle);
    if (h == held_.end()) return false;
    taken = std::move(h->second);
    held_.erase(h);
    return true;
  };
  const auto replace_bytes = [&](core::PacketPtr& p, const std::vector<uint8_t>& bytes) {
    core::PacketPtr n = host->alloc(static_cast<uint32_t>(bytes.size()));
    if (!n) return false;
    std::memcpy(n->data(), bytes.data(), bytes.size());
    n->meta = p->meta;
    p = std::move(n);
    return true;
  };
  if (verb == "pass") return f.size() == 2 ? true : bad("usage: pass <handle>");
  if (verb == "copy") {
    if (f.size() != 3 || !in_batch) return bad("usage: copy <handle> <meta-hex|-> (packet must be in the batch)");
    auto meta = hex_or_dash(f[2]);
    if (!meta || meta->size() > 2048) return bad("bad metadata");
    (void)host->fault_copy(*(*batch)[it->second], *meta);
    return true;
  }
  if (!take()) return bad("unknown packet handle (already disposed of?)");
  if (verb == "drop") {
    if (f.size() != 3) return bad("usage: drop <handle> <reason>");
    uint32_t idx = static_cast<uint32_t>(info_.drop_reasons.size());  // "unknown"
    for (uint32_t i = 0; i < info_.drop_reasons.size(); ++i) {
      if (info_.drop_reasons[i] == f[2]) idx = i;
    }
    host->drop(std::move(taken), idx);
    return true;
  }
  if (verb == "fault") {
    if (f.size() != 3) return bad("usage: fault <handle> <meta-hex|->");
    auto meta = hex_or_dash(f[2]);
    if (!meta || meta->size() > 2048) return bad("bad metadata");
    (void)host->fault(std::move(taken), *meta);
    return true;
  }
  if (verb == "inject") {
    if (f.size() != 3 && f.size() != 4) return bad("usage: inject <handle> <egress|ingress> [hex]");
    auto d = dir_from(f[2]);
    if (!d) return bad("bad direction");
    if (f.size() == 4) {
      auto bytes = hex_or_dash(f[3]);
      if (!bytes || bytes->empty()) return bad("bad hex");
      if (!replace_bytes(taken, *bytes)) return true;
    }
    host->inject(std::move(taken), *d);
    return true;
  }
  if (verb == "hold") {
    if (f.size() != 2) return bad("usage: hold <handle>");
    if (held_.size() >= 4096) return bad("more than 4096 held packets");
    held_[handle] = std::move(taken);
    return true;
  }
  if (verb == "modify") {
    if (f.size() != 3) return bad("usage: modify <handle> <hex>");
    auto bytes = hex_or_dash(f[2]);
    if (!bytes || bytes->empty()) return bad("bad hex");
    if (!in_batch) return bad("modify applies to packets in the batch");
    if (!replace_bytes(taken, *bytes)) {
      host->drop(std::move(taken), static_cast<uint32_t>(info_.drop_reasons.size()));
      return true;
    }
    modified_.emplace_back(it->second, std::move(taken));
    return true;
  }
  return bad("unknown verb");
}

iochain::FilterStatus ProtocolFilter::run(core::PacketBatch& batch, iochain::Direction dir, bool returned,
                                          std::span<const uint8_t> meta, iochain::FilterHost& host) {
  std::string head = std::string(returned ? "returned " : "process ") + dir_word(dir) + " " +
                     std::to_string(core::to_nanos(host.now())) + " " + std::to_string(batch.size());
  if (returned) head += " " + (meta.empty() ? std::string("-") : to_hex(meta));
  std::vector<std::string> lines;
  in_batch_.clear();
  modified_.clear();
  for (uint32_t i = 0; i < batch.size(); ++i) {
    const uint64_t h = next_handle_++;
    in_batch_[h] = i;
    lines.push_back("packet " + std::to_string(h) + " " + std::to_string(batch[i]->meta.vlan_tci) + " " +
                    packet_hex(*batch[i]));
  }
  Reply r = call(head, lines, &host, &batch);
  // Put modified packets back where they were, keeping the batch order.
  if (!modified_.empty()) {
    core::PacketBatch rebuilt;
    for (uint32_t i = 0; i < batch.size(); ++i) {
      core::PacketPtr p;
      for (auto& [idx, m] : modified_) {
        if (idx == i && m) p = std::move(m);
      }
      if (!p && batch[i] != nullptr) p = batch.take(i);
      if (p) (void)rebuilt.push(std::move(p));
    }
    batch.clear();
    batch = std::move(rebuilt);
    modified_.clear();
  }
  in_batch_.clear();
  if (!r.ok) return core::Err<FilterFailure>(r.failure);
  return core::Ok{};
}

iochain::FilterStatus ProtocolFilter::process(core::PacketBatch& batch, iochain::Direction dir,
                                              iochain::FilterHost& host) {
  return run(batch, dir, false, {}, host);
}

iochain::FilterStatus ProtocolFilter::process_returned(core::PacketBatch& batch, iochain::Direction dir,
                                                       std::span<const uint8_t> meta, iochain::FilterHost& host) {
  return run(batch, dir, true, meta, host);
}

std::optional<core::Instant> ProtocolFilter::timer(core::Instant now, iochain::FilterHost& host) {
  next_timer_.reset();
  Reply r = call("timer " + std::to_string(core::to_nanos(now)), {}, &host, nullptr);
  (void)r;
  std::optional<core::Instant> next = next_timer_;
  next_timer_.reset();
  return next;
}

void ProtocolFilter::counters(core::CounterList& out) const {
  Reply r = call("counters");
  if (!r.ok) return;
  for (const std::string& l : r.lines) {
    auto f = split(l);
    uint64_t v = 0;
    if (f.size() == 3 && f[0] == "counter" && parse_u64(f[2], v)) {
      out.push_back(core::NamedCounter{f[1], v});
    } else {
      violation("bad counters line: \"" + l.substr(0, 200) + "\"");
      return;
    }
  }
}

iochain::FilterResult<std::vector<uint8_t>> ProtocolFilter::save_state() const {
  Reply r = call("save");
  if (!r.ok) return core::Err<FilterFailure>(r.failure);
  for (const std::string& l : r.lines) {
    auto f = split(l);
    if (f.size() == 2 && f[0] == "state") {
      auto b = hex_or_dash(f[1]);
      if (b) return std::move(*b);
    }
  }
  violation("\"save\" answered without a \"state <hex>\" line");
  return iochain::filter_error(FilterError::kFailed, "no state in the reply");
}

iochain::FilterStatus ProtocolFilter::restore_state(std::span<const uint8_t> state) {
  Reply r = call("restore " + (state.empty() ? std::string("-") : to_hex(state)));
  if (!r.ok) return core::Err<FilterFailure>(r.failure);
  return core::Ok{};
}

iochain::FilterResult<std::string> ProtocolFilter::ioctl(std::string_view request) {
  std::string req(request);
  for (char& c : req) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  Reply r = call("ioctl " + req);
  if (!r.ok) return core::Err<FilterFailure>(r.failure);
  std::string text;
  for (const std::string& l : r.lines) {
    if (l.rfind("reply", 0) == 0) text += (l.size() > 6 ? l.substr(6) : std::string()) + "\n";
  }
  return text;
}

iochain::FilterStatus ProtocolFilter::config_changed(std::string_view config_json) {
  std::string j(config_json);
  for (char& c : j) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  Reply r = call("config " + j);
  if (!r.ok) return core::Err<FilterFailure>(r.failure);
  return core::Ok{};
}

}  // namespace vnetref::conformance
