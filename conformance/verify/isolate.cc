#include "conformance/verify/isolate.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conformance/verify/runner.h"
#include "stack/config/json.h"

namespace vnetref::conformance {

namespace {

struct SharedProgress {
  std::atomic<uint32_t> step{0};
  std::atomic<uint32_t> started{0};
};

void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    off += static_cast<size_t>(n);
  }
}

std::string describe_step(const Trace& t, uint32_t index) {
  if (index >= t.steps.size()) return "after the last step";
  const Step& s = t.steps[index];
  std::string d = "step " + std::to_string(index + 1) + " (line " + std::to_string(s.line) + ", " + step_keyword(s.op);
  if (const auto* in = std::get_if<InjectStep>(&s.op)) {
    d += std::string(" ") + name_of(in->dir);
    if (!in->id.empty()) d += " " + in->id;
  }
  return d + ")";
}

CaseResult base_result(const Trace& t, const std::string& file, const Implementation& iut) {
  CaseResult r;
  r.suite = t.suite();
  r.case_name = t.case_name;
  r.file = file;
  r.clauses = t.clauses;
  r.description = t.description;
  r.implementation = iut.name();
  r.steps_total = static_cast<uint32_t>(t.steps.size());
  return r;
}

Failure process_failure(const Trace& t, uint32_t step, std::string kind, std::string message) {
  Failure f;
  f.step_index = step;
  f.step_line = step < t.steps.size() ? t.steps[step].line : 0;
  f.step = step < t.steps.size() ? step_keyword(t.steps[step].op) : "end of trace";
  f.note = step < t.steps.size() ? t.steps[step].note : "";
  f.kind = std::move(kind);
  f.message = std::move(message);
  return f;
}

void keep_tail(std::string& s, size_t max) {
  if (s.size() > max) s = "...\n" + s.substr(s.size() - max);
}

}  // namespace

CaseResult run_isolated(const Trace& trace, const std::string& file, Implementation& iut, Implementation& reference,
                        const IsolateOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  void* mem = mmap(nullptr, sizeof(SharedProgress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    CaseResult r = base_result(trace, file, iut);
    r.status = CaseStatus::kError;
    r.detail = std::string("mmap: ") + std::strerror(errno);
    return r;
  }
  auto* progress = new (mem) SharedProgress();
  int res_pipe[2];
  int out_pipe[2];
  if (pipe2(res_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
    munmap(mem, sizeof(SharedProgress));
    CaseResult r = base_result(trace, file, iut);
    r.status = CaseStatus::kError;
    r.detail = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    // Child: its own process group (a command implementation's processes die with
    // it), output captured for the report, result as JSON on the result pipe.
    setpgid(0, 0);
    ::close(res_pipe[0]);
    ::close(out_pipe[0]);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(out_pipe[1], STDERR_FILENO);
    signal(SIGPIPE, SIG_IGN);
    RunHooks hooks;
    hooks.on_step = [progress](uint32_t i) {
      progress->step.store(i, std::memory_order_relaxed);
      progress->started.store(1, std::memory_order_release);
    };
    CaseResult r = run_case(trace, file, iut, reference, hooks);
    write_all(res_pipe[1], to_json(r).dump());
    ::close(res_pipe[1]);
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(0);
  }
  ::close(res_pipe[1]);
  ::close(out_pipe[1]);
  if (pid < 0) {
    ::close(res_pipe[0]);
    ::close(out_pipe[0]);
    munmap(mem, sizeof(SharedProgress));
    CaseResult r = base_result(trace, file, iut);
    r.status = CaseStatus::kError;
    r.detail = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  setpgid(pid, pid);

  std::string result_text;
  std::string output;
  bool timed_out = false;
  pollfd fds[2] = {{res_pipe[0], POLLIN, 0}, {out_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  const auto deadline = start + options.timeout;
  char buf[65536];
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int n = poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    for (pollfd& p : fds) {
      if (p.fd < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = ::read(p.fd, buf, sizeof buf);
      if (got > 0) {
        std::string& dst = p.fd == res_pipe[0] ? result_text : output;
        if (dst.size() < (64u << 20)) dst.append(buf, static_cast<size_t>(got));
        if (p.fd == out_pipe[0]) keep_tail(output, options.max_output);
      } else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        ::close(p.fd);
        p.fd = -1;
        --open_fds;
      }
    }
  }
  if (timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Grandchildren (a command implementation) must not outlive their case.
  kill(-pid, SIGKILL);
  const uint32_t step = progress->started.load(std::memory_order_acquire) != 0 ? progress->step.load() : 0;
  munmap(mem, sizeof(SharedProgress));

  CaseResult r = base_result(trace, file, iut);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (timed_out) {
    r.status = CaseStatus::kTimeout;
    r.detail = "no result within " + std::to_string(options.timeout.count()) + " ms; killed during " +
               describe_step(trace, step);
    r.failure = process_failure(trace, step, "timeout", r.detail);
    r.steps_run = step;
  } else if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    r.status = CaseStatus::kCrash;
    r.detail = std::string("the case process was killed by SIG") + (name != nullptr ? name : "?") + " (" +
               strsignal(sig) + ") during " + describe_step(trace, step);
    r.failure = process_failure(trace, step, "crash", r.detail);
    r.steps_run = step;
  } else {
    auto parsed = config::parse_json(result_text);
    auto res = parsed ? case_result_from_json(*parsed) : core::Result<CaseResult, std::string>(core::Err<std::string>(
                                                             parsed.error().to_string()));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && res) {
      r = std::move(*res);
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } else {
      r.status = CaseStatus::kError;
      r.detail = "the case process exited with status " +
                 std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + " without a result, during " +
                 describe_step(trace, step);
      r.failure = process_failure(trace, step, "exit", r.detail);
      r.steps_run = step;
    }
  }
  if (!output.empty()) {
    if (!r.log.empty()) r.log += "\n";
    r.log += "--- output of the case process ---\n" + output;
    keep_tail(r.log, options.max_output);
  }
  return r;
}

}  // namespace vnetref::conformance
