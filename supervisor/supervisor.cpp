// The supervisor's loop: inotify on DIR finds services, a signalfd reaps and stops them,
// their control FIFOs drive them (runsv's protocol), all in one process and one epoll set.
// Rule: nothing but a shutdown ends the loop; a bad service directory is a warning and a
// retry, never a reason to stop supervising the others.
#include "supervisor/supervisor.hpp"

#include "common/log.hpp"
#include "common/seconds.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "supervisor/service_dir.hpp"
#include "supervisor/status.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <fcntl.h>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace cinit::supervisor {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A run shorter than this counts as a crash (runsv waits 1 s after such a run).
constexpr milliseconds healthy_run{1000};
// Restart delays on a crash loop: 100 ms, doubling, at most a minute; none after a healthy
// run. A quick first retry rides out a transient failure; 9 restarts in the first minute,
// then one a minute (runsv: one a second, forever).
constexpr milliseconds first_backoff{100};
constexpr milliseconds max_backoff{60000};
// A directory being created (mkdir, then run) is not reported as bad before this.
constexpr milliseconds bad_grace{300};
// How often bad directories and a missing DIR are checked again besides inotify.
constexpr milliseconds bad_retry{2000};
// After its service is down, a logger gets this long to read the rest and see EOF.
constexpr milliseconds log_eof_grace{1000};
// After `sv exit`, the directory is supervised again this long after its service stopped
// (runsvdir starts a new runsv within its 5 s scan). runit's sv polls every 420 ms and
// `sv -v exit` waits to see "runsv not running": the pause lets it see that.
constexpr milliseconds exit_pause{2000};
// During a shutdown, status files are not written for this long: most services are gone by
// then, and each write (three renames; on ext4 mounted with `discard`, each rename waits for
// the trim of the replaced file's block) would delay the TERMs and the reaping of the others.
// Readers lose nothing: once we exit, supervise/ok tells sv (ours and runit's) "runsv not
// running", whatever the files say. A service still stopping after it gets its state written.
constexpr milliseconds shutdown_status_hold{500};
// After the final SIGKILL, how long to wait for the reaping before exiting anyway.
constexpr milliseconds kill_reap_grace{2000};
// An adopted run's start (/proc) and its status stamp (written after the spawn) may differ by
// this much under load. Another process with the same pid, alive, started before us and
// within this of the stamp, would need a container restarted within seconds (fresh PID
// namespaces repeat pids) with its supervise/ kept.
constexpr double adopt_tolerance = 3.0;
// The wait status given for an adopted run's exit, which only its parent saw: finish gets
// "-1 0".
constexpr int unknown_status = -1;
// A partial line longer than this is written out as a line of its own.
constexpr std::size_t max_line = 4096;

enum class Kind : std::uint64_t { signal = 1, inotify, control, ready, out, err, adopted };

std::uint64_t make_tag(Kind kind, std::uint64_t id) {
  return (static_cast<std::uint64_t>(kind) << 56) | id;
}

timespec now_real() {
  timespec ts{};
  (void)clock_gettime(CLOCK_REALTIME, &ts); // cannot fail for CLOCK_REALTIME
  return ts;
}

milliseconds backoff_for(unsigned failures) {
  if (failures == 0)
    return milliseconds{0};
  milliseconds d = first_backoff;
  for (unsigned i = 1; i < failures && d < max_backoff; ++i)
    d *= 2;
  return std::min(d, max_backoff);
}

// How long ago `pid` started, from /proc/PID/stat (clock ticks after boot) and CLOCK_BOOTTIME;
// nullopt if that cannot be read.
std::optional<double> process_age(pid_t pid) {
  const std::optional<std::string> stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  timespec boot{};
  if (!stat || ::clock_gettime(CLOCK_BOOTTIME, &boot) != 0)
    return std::nullopt;
  // Field 22, counted after the command name, which may hold spaces and parentheses.
  std::size_t at = stat->rfind(')');
  for (int field = 2; field < 22 && at != std::string::npos; ++field)
    at = stat->find(' ', at + 1);
  if (at == std::string::npos)
    return std::nullopt;
  const double ticks = std::strtod(stat->c_str() + at + 1, nullptr);
  const long hz = ::sysconf(_SC_CLK_TCK);
  return static_cast<double>(boot.tv_sec) + static_cast<double>(boot.tv_nsec) / 1e9 -
         ticks / static_cast<double>(hz > 0 ? hz : 100);
}

// Both ends, blocking as make_pipe's, of the pipe that `fd` of `pid` is an end of (opening
// /proc/PID/fd/N of a pipe opens the pipe itself): false, with `out` untouched, if none.
bool reopen_pipe(pid_t pid, int fd, Pipe& out) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISFIFO(st.st_mode))
    return false;
  // The read end first: opening a pipe for writing only would wait for a reader.
  UniqueFd r(retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC); }));
  UniqueFd w(retry_eintr([&] { return ::open(path.c_str(), O_WRONLY | O_CLOEXEC); }));
  if (!r.valid() || !w.valid() || ::fcntl(r.get(), F_SETFL, 0) != 0)
    return false;
  out.read = std::move(r);
  out.write = std::move(w);
  return true;
}

// One supervised program of a service directory: the service's run/finish, or its logger's.
struct Proc {
  std::string dir;
  UniqueFd dir_fd; // O_PATH: run and finish start there even after the dir was moved away
  bool is_log = false;
  SuperviseFds fds;
  RunState state = RunState::down;
  Want want = Want::up;
  bool paused = false;
  bool got_term = false;
  bool stopped_by_us = false; // TERM or KILL sent since the start: its exit is no crash
  bool last_exit_by_us = false;
  pid_t pid = 0;
  timespec stamp{}; // runsv's s->start: when run started, or when it went down
  Clock::time_point started{};
  std::optional<Clock::time_point> restart_at;
  unsigned failures = 0; // consecutive short runs
  int last_spawn_error = 0;
  UniqueFd ready; // read end of the readiness pipe while waiting for the newline
  bool is_ready = false;
  bool quiet = false; // the directory is gone: status files cannot be written
  bool status_warned = false;
  bool dirty = false; // the status files are behind: written at the end of the loop iteration
  WrittenStatus written;
  bool ready_file = true; // supervise/ready may exist (a previous supervisor's, or ours)
  // A run taken back from a supervisor that died (adopt()): not our child, so its exit comes
  // from this pidfd, without a status.
  UniqueFd adopted;
};

Status status_of(const Proc& p) {
  Status st;
  st.unix_seconds = p.stamp.tv_sec;
  st.nanoseconds = static_cast<std::uint32_t>(p.stamp.tv_nsec);
  st.pid = p.pid;
  st.paused = p.paused;
  st.want_up = p.want == Want::up;
  st.got_term = p.got_term;
  st.state = p.state;
  return st;
}

// The output of a service without log/, copied to ours line by line behind "NAME: ".
struct Prefixer {
  Pipe pipe;
  std::string partial;
  StallFreeOut* out = nullptr; // the supervisor's stdout or stderr
};

struct Service {
  std::uint64_t id = 0;
  std::string name;
  ServiceDirInfo info;
  Proc main;
  std::unique_ptr<Proc> log;
  Pipe log_pipe; // run's stdout -> log's stdin; held here so it outlives restarts of both
  std::unique_ptr<Prefixer> out;
  std::unique_ptr<Prefixer> err;
  bool exiting = false;
  bool removed = false; // exiting because the directory went away (not `sv exit`)
  std::optional<Clock::time_point> log_term_at;
};

struct BadEntry {
  std::string problem;
  Clock::time_point since{};
  Clock::time_point next_try{};
  bool warned = false;
  int wd = -1;
  int log_wd = -1;
};

constexpr std::uint32_t dir_events = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                                     IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
constexpr std::uint32_t bad_dir_events =
    IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB | IN_CLOSE_WRITE;

class Supervisor {
public:
  Supervisor(std::string dir, milliseconds kill_timeout, bool prefix_logs)
      : dir_(std::move(dir)), kill_timeout_(kill_timeout), prefix_(prefix_logs) {}
  int run();

private:
  bool setup();
  void watch_dir();
  void loop_once();
  int timeout_ms() const;
  void dispatch(std::uint64_t tag, std::uint32_t events);

  void handle_signals();
  void reap();
  void handle_inotify();
  void handle_control(Service& s, Proc& p);
  bool adopt(Service& s, Proc& p);
  void handle_ready(Proc& p);
  void handle_output(Service& s, Prefixer& out, bool final);
  void run_timers();

  void full_scan();
  void check_entry(const std::string& name);
  void record_bad(const std::string& name, const std::string& path, const std::string& problem);
  void clear_bad(const std::string& name);
  void add_service(const std::string& name, const std::string& path, const ServiceDirInfo& info,
                   SuperviseFds fds, SuperviseFds log_fds);
  void ensure_fd_capacity();

  void start(Service& s, Proc& p);
  void on_exit(Service& s, Proc& p, int wstatus);
  void went_down(Service& s, Proc& p);
  void command(Service& s, Proc& p, Command c);
  void stop(Proc& p);
  void signal_proc(Proc& p, int sig);
  void publish(Proc& p);
  void flush_status();
  void write_status(Proc& p);
  void begin_exit(Service& s, bool removed);
  void after_main_down(Service& s);
  void maybe_finish_exit(Service& s);
  void drop(Service& s);
  void begin_shutdown();
  void kill_all();
  void epoll_add(int fd, std::uint64_t tag);

  std::string dir_;
  milliseconds kill_timeout_;
  bool prefix_;
  // Where prefixed output goes: a reader of ours that stops reading costs lines, never
  // supervision. stderr's is the log's own (log_never_block), stdout's is made on first use.
  std::optional<StallFreeOut> stdout_;
  UniqueFd epoll_;
  UniqueFd signal_;
  UniqueFd inotify_;
  int dir_wd_ = -1;
  bool dir_warned_ = false;
  std::optional<Clock::time_point> dir_retry_at_;
  std::map<std::string, std::unique_ptr<Service>> services_;
  std::unordered_map<std::uint64_t, Service*> by_id_;
  std::unordered_map<pid_t, std::pair<Service*, Proc*>> by_pid_;
  std::map<std::string, BadEntry> bad_;
  std::unordered_map<int, std::string> wd_names_;
  // `sv exit`ed names and when they are supervised again (sooner on SIGHUP or re-creation).
  std::map<std::string, Clock::time_point> exited_;
  std::set<std::string> recheck_;
  bool full_rescan_ = false;
  std::vector<std::unique_ptr<Service>> graveyard_; // freed after the epoll batch
  std::vector<Proc*> dirty_; // flushed before graveyard_ is freed and before each wait
  bool status_held_ = false; // shutting down: publish() writes nothing until the hold ends
  Clock::time_point status_hold_until_{};
  std::uint64_t next_id_ = 1;
  bool shutting_down_ = false;
  bool killed_ = false;
  bool done_ = false;
  Clock::time_point deadline_{};
  Clock::time_point final_deadline_{};
  rlim_t fd_soft_limit_ = 0;
};

int Supervisor::run() {
  if (!setup())
    return 111;
  full_scan();
  while (!done_) {
    try {
      loop_once();
    } catch (const std::exception& e) {
      // A net for bugs (or std::bad_alloc), never control flow: keep supervising.
      warn(std::string("unexpected error in the loop: ") + e.what());
    }
  }
  flush_status(); // what changed after a shutdown's hold (the services are in graveyard_)
  return 0;
}

bool Supervisor::setup() {
  // Fds 0-2 must be open, or a pipe could land there and become a child's stdio by accident.
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) < 0)
      (void)::open("/dev/null", O_RDWR); // takes the lowest free number, i.e. `fd`
  // Daemonizing grandchildren of services are re-parented to us, not to PID 1: we reap them.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    warn_sys(errno, "unable to become a child subreaper");
  (void)std::signal(SIGPIPE, SIG_IGN); // a closed stdout must not kill the supervisor
  // An ignored SIGCHLD inherited from our parent would make the kernel reap our children
  // itself (POSIX: SA_NOCLDWAIT semantics) and waitpid() would never see a service exit.
  (void)std::signal(SIGCHLD, SIG_DFL);

  sigset_t set;
  sigemptyset(&set);
  for (const int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP})
    sigaddset(&set, sig);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
    die_sys(111, errno, "unable to block signals");
  signal_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_.valid())
    die_sys(111, errno, "unable to create signalfd");
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid())
    die_sys(111, errno, "unable to create epoll");
  inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify_.valid())
    die_sys(111, errno, "unable to create inotify instance");
  epoll_add(signal_.get(), make_tag(Kind::signal, 0));
  epoll_add(inotify_.get(), make_tag(Kind::inotify, 0));
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0)
    fd_soft_limit_ = rl.rlim_cur;
  watch_dir();
  return true;
}

void Supervisor::epoll_add(int fd, std::uint64_t tag) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    warn_sys(errno, "unable to watch a descriptor with epoll");
}

void Supervisor::watch_dir() {
  if (dir_wd_ >= 0) {
    (void)::inotify_rm_watch(inotify_.get(), dir_wd_); // it may be gone with its directory
    wd_names_.erase(dir_wd_);
  }
  dir_wd_ = ::inotify_add_watch(inotify_.get(), dir_.c_str(), dir_events);
  if (dir_wd_ < 0) {
    if (!dir_warned_)
      warn_sys(errno, "unable to watch '" + dir_ + "'");
    dir_warned_ = true;
    dir_retry_at_ = Clock::now() + bad_retry;
    return;
  }
  dir_warned_ = false;
  dir_retry_at_.reset();
}

int Supervisor::timeout_ms() const {
  std::optional<Clock::time_point> next;
  const auto consider = [&](const std::optional<Clock::time_point>& t) {
    if (t && (!next || *t < *next))
      next = t;
  };
  if (!recheck_.empty() || full_rescan_ || !graveyard_.empty())
    return 0;
  consider(dir_retry_at_);
  if (status_held_)
    consider(status_hold_until_);
  for (const auto& [name, at] : exited_)
    consider(at);
  if (shutting_down_)
    consider(killed_ ? final_deadline_ : deadline_);
  for (const auto& [name, s] : services_) {
    consider(s->main.restart_at);
    if (s->log)
      consider(s->log->restart_at);
    consider(s->log_term_at);
  }
  for (const auto& [name, b] : bad_) {
    consider(b.next_try);
    if (!b.warned)
      consider(b.since + bad_grace);
  }
  if (!next)
    return -1;
  const auto left = std::chrono::ceil<milliseconds>(*next - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 24 * 3600 * 1000));
}

void Supervisor::loop_once() {
  flush_status(); // what the last batch changed, while its dropped services still exist
  graveyard_.clear();
  if (full_rescan_) {
    full_rescan_ = false;
    full_scan();
  }
  while (!recheck_.empty()) {
    const std::string name = *recheck_.begin();
    recheck_.erase(recheck_.begin());
    check_entry(name);
  }
  if (shutting_down_ && services_.empty()) {
    done_ = true;
    return;
  }
  flush_status(); // before waiting: a reader never sees an older state than an answered command
  std::array<epoll_event, 64> events{};
  const int n =
      ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms());
  if (n < 0 && errno != EINTR)
    warn_sys(errno, "epoll_wait failed");
  for (int i = 0; i < n; ++i)
    dispatch(events[static_cast<std::size_t>(i)].data.u64,
             events[static_cast<std::size_t>(i)].events);
  run_timers();
}

void Supervisor::dispatch(std::uint64_t tag, std::uint32_t events) {
  const auto kind = static_cast<Kind>(tag >> 56);
  const std::uint64_t id = tag & ((std::uint64_t{1} << 56) - 1);
  switch (kind) {
  case Kind::signal:
    handle_signals();
    return;
  case Kind::inotify:
    handle_inotify();
    return;
  case Kind::control:
  case Kind::ready:
  case Kind::out:
  case Kind::err:
  case Kind::adopted:
    break;
  }
  // Services dropped earlier in this batch are gone from by_id_: their events are stale.
  const auto it = by_id_.find(id >> 1);
  if (it == by_id_.end())
    return;
  Service& s = *it->second;
  Proc* p = (id & 1) != 0 ? s.log.get() : &s.main;
  if (p == nullptr)
    return;
  if (kind == Kind::control)
    handle_control(s, *p);
  else if (kind == Kind::ready)
    handle_ready(*p);
  else if (kind == Kind::out && s.out)
    handle_output(s, *s.out, false);
  else if (kind == Kind::err && s.err)
    handle_output(s, *s.err, false);
  else if (kind == Kind::adopted && p->adopted.valid()) {
    // An adopted run exited (its parent, PID 1, reaped it): we never learn its status.
    p->adopted.reset();
    if (const auto owner = by_pid_.find(p->pid);
        owner != by_pid_.end() && owner->second.second == p)
      by_pid_.erase(owner);
    on_exit(s, *p, unknown_status);
  }
  (void)events;
}

void Supervisor::handle_signals() {
  signalfd_siginfo si{};
  while (::read(signal_.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    switch (si.ssi_signo) {
    case SIGCHLD:
      break; // reaped below, once: SIGCHLDs coalesce
    case SIGTERM:
    case SIGINT:
      begin_shutdown();
      break;
    case SIGHUP:
      exited_.clear();
      watch_dir();
      full_rescan_ = true;
      break;
    default:
      break;
    }
  }
  reap();
}

void Supervisor::reap() {
  for (;;) {
    int wstatus = 0;
    const pid_t pid = ::waitpid(-1, &wstatus, WNOHANG);
    if (pid <= 0)
      return; // 0: none left exited; -1: ECHILD
    const auto it = by_pid_.find(pid);
    if (it == by_pid_.end())
      continue; // an orphan some service left behind, re-parented to us: reaped, done
    const auto [s, p] = it->second;
    by_pid_.erase(it);
    on_exit(*s, *p, wstatus);
  }
}

void Supervisor::handle_inotify() {
  alignas(inotify_event) char buf[16384];
  for (;;) {
    const ssize_t n = ::read(inotify_.get(), buf, sizeof buf);
    if (n <= 0)
      return;
    for (ssize_t off = 0; off < n;) {
      inotify_event ev{};
      std::memcpy(&ev, buf + off, sizeof ev);
      const std::string name =
          ev.len > 0 ? std::string(buf + off + static_cast<ssize_t>(sizeof ev)) : std::string();
      off += static_cast<ssize_t>(sizeof ev + ev.len);
      if ((ev.mask & IN_Q_OVERFLOW) != 0) {
        full_rescan_ = true;
      } else if (ev.wd == dir_wd_) {
        if ((ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0) {
          // DIR itself went away: look for it again on a deadline.
          dir_wd_ = -1;
          dir_retry_at_ = Clock::now();
        } else if (!name.empty()) {
          recheck_.insert(name);
        }
      } else if (const auto it = wd_names_.find(ev.wd); it != wd_names_.end()) {
        recheck_.insert(it->second);
        if ((ev.mask & IN_IGNORED) != 0)
          wd_names_.erase(it);
      }
    }
  }
}

void Supervisor::handle_control(Service& s, Proc& p) {
  char buf[64];
  for (;;) {
    const ssize_t n = ::read(p.fds.control.get(), buf, sizeof buf);
    if (n <= 0)
      return;
    for (ssize_t i = 0; i < n; ++i) {
      if (const std::optional<Command> c = parse_command(buf[i]))
        command(s, p, *c);
      // `x` may have dropped the service (its fds close at the end of the batch).
      if (by_id_.count(s.id) == 0)
        return;
    }
  }
}

void Supervisor::handle_ready(Proc& p) {
  char buf[256];
  for (;;) {
    const ssize_t n = ::read(p.ready.get(), buf, sizeof buf);
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      p.ready.reset(); // closed without a newline: never ready
      return;
    }
    if (std::find(buf, buf + n, '\n') != buf + n) {
      p.is_ready = true;
      p.ready.reset(); // s6 closes it too: later writes are the service's own business
      write_ready_file(p.dir, p.pid);
      p.ready_file = true;
      return;
    }
  }
}

void Supervisor::handle_output(Service& s, Prefixer& out, bool final) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(out.pipe.read.get(), buf, sizeof buf);
    if (n <= 0)
      break;
    out.partial.append(buf, static_cast<std::size_t>(n));
    std::string lines;
    std::size_t start = 0;
    for (;;) {
      const std::size_t nl = out.partial.find('\n', start);
      std::size_t end = nl;
      if (nl == std::string::npos) {
        if (out.partial.size() - start < max_line)
          break;
        end = start + max_line;
      }
      lines.append(s.name).append(": ").append(out.partial, start, end - start).append("\n");
      start = nl == std::string::npos ? end : nl + 1;
    }
    out.partial.erase(0, start);
    // A closed, broken or stalled stdout loses these lines; supervising goes on.
    (void)out.out->write(lines);
  }
  if (final && !out.partial.empty()) {
    (void)out.out->write(s.name + ": " + out.partial + "\n"); // best effort, as above
    out.partial.clear();
  }
}

void Supervisor::run_timers() {
  const Clock::time_point now = Clock::now();
  if (shutting_down_ && !killed_ && now >= deadline_)
    kill_all();
  if (killed_ && now >= final_deadline_) {
    warn("some services did not exit after SIGKILL; exiting anyway");
    done_ = true;
    return;
  }
  if (status_held_ && now >= status_hold_until_) {
    status_held_ = false;
    for (const auto& [name, s] : services_)
      for (Proc* p : {&s->main, s->log.get()})
        if (p != nullptr)
          publish(*p);
  }
  if (dir_retry_at_ && now >= *dir_retry_at_) {
    watch_dir();
    full_rescan_ = true;
  }
  std::vector<Service*> list;
  for (const auto& [name, s] : services_)
    list.push_back(s.get());
  for (Service* s : list) {
    if (by_id_.count(s->id) == 0)
      continue; // dropped by an earlier one in this pass
    if (s->log_term_at && now >= *s->log_term_at) {
      s->log_term_at.reset();
      if (s->log && s->log->pid != 0 && s->log->state == RunState::run)
        stop(*s->log);
    }
    for (Proc* p : {&s->main, s->log.get()}) {
      if (p == nullptr || !p->restart_at || now < *p->restart_at)
        continue;
      p->restart_at.reset();
      if (p->pid == 0 && p->want == Want::up)
        start(*s, *p);
    }
  }
  for (auto it = exited_.begin(); it != exited_.end();) {
    if (now >= it->second) {
      recheck_.insert(it->first); // runit reads `down` again: a service with one stays down
      it = exited_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [name, b] : bad_)
    if (now >= b.next_try || (!b.warned && now >= b.since + bad_grace))
      recheck_.insert(name);
}

void Supervisor::full_scan() {
  const std::optional<std::vector<std::string>> names = list_dir(dir_);
  if (!names) {
    if (!dir_warned_)
      warn_sys(errno, "unable to read directory '" + dir_ + "'");
    dir_warned_ = true;
    dir_retry_at_ = Clock::now() + bad_retry;
    return;
  }
  std::set<std::string> present;
  for (const std::string& name : *names)
    if (service_name(name))
      present.insert(name);
  for (const std::string& name : present)
    check_entry(name);
  std::vector<std::string> gone;
  for (const auto& [name, s] : services_)
    if (present.count(name) == 0)
      gone.push_back(name);
  for (const auto& [name, b] : bad_)
    if (present.count(name) == 0)
      gone.push_back(name);
  for (const auto& [name, at] : exited_)
    if (present.count(name) == 0)
      gone.push_back(name);
  for (const std::string& name : gone)
    check_entry(name);
}

void Supervisor::check_entry(const std::string& name) {
  // runsvdir ignores names starting with '.'; so do we (Debian's .meta/, our temp files).
  if (!service_name(name) || shutting_down_)
    return;
  const std::string path = dir_ + "/" + name;
  struct stat st {};
  const bool is_dir = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  const auto it = services_.find(name);
  if (!is_dir) {
    exited_.erase(name);
    clear_bad(name);
    if (it != services_.end())
      begin_exit(*it->second, true);
    return;
  }
  if (it != services_.end()) {
    Service& s = *it->second;
    // The name now means another directory: stop the old service; the new one is picked
    // up when the old one is gone (maybe_finish_exit rechecks the name).
    if (st.st_dev != s.info.dev || st.st_ino != s.info.ino)
      begin_exit(s, true);
    return;
  }
  if (exited_.count(name) != 0)
    return;
  const Inspection ins = inspect_service_dir(path);
  if (!ins.info) {
    record_bad(name, path, ins.problem);
    return;
  }
  SuperviseFds fds;
  SuperviseFds log_fds;
  std::string problem = prepare_supervise(path, fds);
  if (problem.empty() && ins.info->has_log)
    problem = prepare_supervise(path + "/log", log_fds);
  if (!problem.empty()) {
    record_bad(name, path, problem);
    return;
  }
  clear_bad(name);
  add_service(name, path, *ins.info, std::move(fds), std::move(log_fds));
}

void Supervisor::record_bad(const std::string& name, const std::string& path,
                            const std::string& problem) {
  const Clock::time_point now = Clock::now();
  const bool is_new = bad_.count(name) == 0;
  BadEntry& b = bad_[name];
  if (is_new || b.problem != problem) {
    b.problem = problem;
    b.since = now;
    b.warned = false;
  }
  b.next_try = now + bad_retry;
  // Watch the directory (and log/) so that a fix is seen at once; the retry above covers
  // what inotify cannot see (an unreadable directory, a symlinked run).
  const auto add_watch = [&](int& wd, const std::string& p) {
    if (wd >= 0)
      return;
    const int w = ::inotify_add_watch(inotify_.get(), p.c_str(), bad_dir_events | IN_ONLYDIR);
    if (w < 0 || w == dir_wd_ || wd_names_.count(w) != 0)
      return; // unwatchable, or an inode someone else watches: the retry covers it
    wd = w;
    wd_names_[w] = name;
  };
  add_watch(b.wd, path);
  struct stat st {};
  if (::stat((path + "/log").c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    add_watch(b.log_wd, path + "/log");
  if (!b.warned && now >= b.since + bad_grace) {
    warn(problem + " (service skipped until it is fixed)");
    b.warned = true;
  }
}

void Supervisor::clear_bad(const std::string& name) {
  const auto it = bad_.find(name);
  if (it == bad_.end())
    return;
  for (const int wd : {it->second.wd, it->second.log_wd}) {
    if (wd < 0)
      continue;
    (void)::inotify_rm_watch(inotify_.get(), wd); // EINVAL if the inode is gone already
    wd_names_.erase(wd);
  }
  bad_.erase(it);
}

void Supervisor::ensure_fd_capacity() {
  // Each service holds up to 3 supervise fds per program plus pipes; runit's 1024 default
  // would stop us near 100 services.
  const rlim_t need = static_cast<rlim_t>(services_.size()) * 12 + 256;
  if (need <= fd_soft_limit_)
    return;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return;
  rl.rlim_cur = std::min(rl.rlim_max, need * 2);
  if (::setrlimit(RLIMIT_NOFILE, &rl) == 0)
    fd_soft_limit_ = rl.rlim_cur;
}

void Supervisor::add_service(const std::string& name, const std::string& path,
                             const ServiceDirInfo& info, SuperviseFds fds, SuperviseFds log_fds) {
  auto owned = std::make_unique<Service>();
  Service& s = *owned;
  s.id = next_id_++;
  s.name = name;
  s.info = info;
  s.main.dir = path;
  s.main.dir_fd.reset(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  s.main.fds = std::move(fds);
  s.main.want = info.down ? Want::down : Want::up;
  s.main.stamp = now_real();
  if (info.has_log) {
    if (!make_pipe(s.log_pipe)) {
      record_bad(name, path, "unable to create the log pipe for '" + path + "'");
      return;
    }
    s.log = std::make_unique<Proc>();
    s.log->dir = path + "/log";
    s.log->dir_fd.reset(::open(s.log->dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    s.log->is_log = true;
    s.log->fds = std::move(log_fds);
    s.log->want = info.log_down ? Want::down : Want::up;
    s.log->stamp = s.main.stamp;
  } else if (prefix_) {
    s.out = std::make_unique<Prefixer>();
    s.err = std::make_unique<Prefixer>();
    if (!stdout_)
      stdout_.emplace(STDOUT_FILENO);
    s.out->out = &*stdout_;
    s.err->out = &log_never_block();
    for (Prefixer* px : {s.out.get(), s.err.get()}) {
      if (!make_pipe(px->pipe)) {
        record_bad(name, path, "unable to create the output pipe for '" + path + "'");
        return;
      }
      // Only our end is non-blocking; the service's end stays an ordinary blocking pipe.
      (void)::fcntl(px->pipe.read.get(), F_SETFL, O_NONBLOCK);
    }
    epoll_add(s.out->pipe.read.get(), make_tag(Kind::out, s.id << 1));
    epoll_add(s.err->pipe.read.get(), make_tag(Kind::err, s.id << 1));
  }
  epoll_add(s.main.fds.control.get(), make_tag(Kind::control, s.id << 1));
  if (s.log)
    epoll_add(s.log->fds.control.get(), make_tag(Kind::control, (s.id << 1) | 1));
  by_id_[s.id] = &s;
  services_[name] = std::move(owned);
  ensure_fd_capacity();
  // Taken back first, so that the pipe between run and log/run is theirs again: main's
  // stdout, or the logger's stdin, with whatever lines it holds.
  const bool main_adopted = adopt(s, s.main);
  const bool log_adopted = s.log && adopt(s, *s.log);
  if (s.log && main_adopted)
    (void)reopen_pipe(s.main.pid, STDOUT_FILENO, s.log_pipe);
  else if (log_adopted)
    (void)reopen_pipe(s.log->pid, STDIN_FILENO, s.log_pipe);
  else if (s.out && main_adopted) {
    for (const auto& [px, fd] :
         {std::pair{s.out.get(), STDOUT_FILENO}, {s.err.get(), STDERR_FILENO}})
      if (reopen_pipe(s.main.pid, fd, px->pipe)) {
        (void)::fcntl(px->pipe.read.get(), F_SETFL, O_NONBLOCK); // as above: our end only
        epoll_add(px->pipe.read.get(),
                  make_tag(fd == STDOUT_FILENO ? Kind::out : Kind::err, s.id << 1));
      }
  }
  // start() publishes the status; write it here only for what stays down.
  if (s.log && !log_adopted) {
    if (s.log->want == Want::up)
      start(s, *s.log);
    else
      publish(*s.log);
  }
  if (main_adopted)
    return;
  if (s.main.want == Want::up)
    start(s, s.main);
  else
    publish(s.main);
}

// A supervisor that was SIGKILLed leaves its services running (re-parented to PID 1): the
// next one takes each back from supervise/status rather than start a second instance. It is
// the same process only if it started when the status says (a pid reused since is not).
bool Supervisor::adopt(Service& s, Proc& p) {
  const std::optional<std::string> bytes =
      read_regular_file(p.dir + "/supervise/status", status_size);
  const std::optional<Status> st = bytes ? decode_status(*bytes) : std::nullopt;
  if (!st || st->pid <= 0 || st->state != RunState::run)
    return false;
  // The pidfd pins the pid: it cannot be reused between the check below and our signals.
  // (glibc 2.36's pidfd_open is declared without C linkage for C++: the raw call.)
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, st->pid, 0U)));
  if (!pidfd.valid())
    return false; // gone, or a kernel without pidfds (before 5.3): start afresh
  const timespec now = now_real();
  const double status_age = static_cast<double>(now.tv_sec - st->unix_seconds) +
                            (static_cast<double>(now.tv_nsec) - st->nanoseconds) / 1e9;
  // Our own child is none of the old services (a new logger may have the pid a status from
  // a previous container names), nor is anything that started after us.
  const std::optional<double> age = process_age(st->pid);
  const std::optional<double> own_age = process_age(::getpid());
  if (!age || !own_age || by_pid_.count(st->pid) != 0 || *age < *own_age ||
      std::abs(*age - status_age) > adopt_tolerance)
    return false;
  p.pid = st->pid;
  p.state = RunState::run;
  p.want = st->want_up ? Want::up : Want::down;
  p.paused = st->paused;
  p.got_term = st->got_term;
  p.stamp = timespec{static_cast<time_t>(st->unix_seconds), static_cast<long>(st->nanoseconds)};
  p.started = Clock::now();
  p.adopted = std::move(pidfd);
  by_pid_[p.pid] = {&s, &p};
  epoll_add(p.adopted.get(), make_tag(Kind::adopted, (s.id << 1) | (p.is_log ? 1 : 0)));
  publish(p);
  return true;
}

void Supervisor::start(Service& s, Proc& p) {
  p.restart_at.reset();
  if (killed_)
    return; // past the shutdown deadline nothing starts again
  ServiceSpawn spec;
  spec.dir = p.dir;
  spec.dir_fd = p.dir_fd.get();
  spec.argv = {"./run"};
  if (p.is_log) {
    spec.stdin_fd = s.log_pipe.read.get();
  } else if (s.log) {
    spec.stdout_fd = s.log_pipe.write.get();
  } else if (s.out) {
    spec.stdout_fd = s.out->pipe.write.get();
    spec.stderr_fd = s.err->pipe.write.get();
  }
  std::string problem;
  const std::optional<int> notify_target = read_notification_fd(p.dir, problem);
  Pipe notify;
  if (notify_target && make_pipe(notify)) {
    (void)::fcntl(notify.read.get(), F_SETFL, O_NONBLOCK); // only we read this end
    spec.notify_fd = notify.write.get();
    spec.notify_target = *notify_target;
  }
  int err = 0;
  const pid_t pid = spawn_service(spec, err);
  if (pid < 0) {
    // Once per distinct error: a missing interpreter would otherwise log every back-off.
    if (err != p.last_spawn_error)
      warn_sys(err, "unable to start '" + p.dir + "/run'");
    p.last_spawn_error = err;
    ++p.failures;
    p.restart_at = Clock::now() + backoff_for(p.failures);
    publish(p);
    return;
  }
  p.last_spawn_error = 0;
  p.pid = pid;
  p.state = RunState::run;
  p.got_term = false;
  p.stopped_by_us = false;
  p.paused = false;
  p.is_ready = false;
  p.stamp = now_real();
  p.started = Clock::now();
  by_pid_[pid] = {&s, &p};
  if (p.ready_file) {
    remove_ready_file(p.dir);
    p.ready_file = false;
  }
  if (notify.read.valid()) {
    p.ready = std::move(notify.read);
    epoll_add(p.ready.get(), make_tag(Kind::ready, (s.id << 1) | (p.is_log ? 1 : 0)));
  }
  publish(p);
}

void Supervisor::on_exit(Service& s, Proc& p, int wstatus) {
  if (p.state == RunState::run) {
    p.pid = 0;
    p.got_term = false;
    p.paused = false;
    p.ready.reset();
    if (p.ready_file)
      remove_ready_file(p.dir);
    p.ready_file = false;
    p.is_ready = false;
    p.last_exit_by_us = p.stopped_by_us;
    if (Clock::now() - p.started >= healthy_run)
      p.failures = 0;
    else if (!p.stopped_by_us)
      ++p.failures;
    if (!killed_ && (p.dir_fd.valid() ? has_regular_file_at(p.dir_fd.get(), "finish")
                                      : has_regular_file(p.dir, "finish"))) {
      // runsv's arguments: run's exit code (-1 if it did not exit), and the low byte of
      // the wait status (the signal number when a signal killed it).
      ServiceSpawn spec;
      spec.dir = p.dir;
      spec.dir_fd = p.dir_fd.get();
      spec.argv = {"./finish", WIFEXITED(wstatus) ? std::to_string(WEXITSTATUS(wstatus)) : "-1",
                   std::to_string(wstatus == unknown_status ? 0 : wstatus & 0xff)};
      if (p.is_log)
        spec.stdin_fd = s.log_pipe.read.get();
      else if (s.log)
        spec.stdout_fd = s.log_pipe.write.get();
      else if (s.out) {
        spec.stdout_fd = s.out->pipe.write.get();
        spec.stderr_fd = s.err->pipe.write.get();
      }
      int err = 0;
      const pid_t pid = spawn_service(spec, err);
      if (pid > 0) {
        p.pid = pid;
        p.state = RunState::finish;
        by_pid_[pid] = {&s, &p};
        publish(p);
        return;
      }
      warn_sys(err, "unable to start '" + p.dir + "/finish'");
    }
  }
  went_down(s, p);
}

void Supervisor::went_down(Service& s, Proc& p) {
  p.state = RunState::down;
  p.pid = 0;
  p.got_term = false;
  p.stamp = now_real();
  publish(p);
  if (!p.is_log && s.exiting) {
    after_main_down(s);
    return;
  }
  if (p.is_log && s.exiting && p.want == Want::exit) {
    maybe_finish_exit(s);
    return;
  }
  // A logger that dies while its service is still stopping is restarted: no line is lost.
  if (p.want != Want::up)
    return;
  const milliseconds delay = p.last_exit_by_us ? milliseconds{0} : backoff_for(p.failures);
  if (delay.count() == 0)
    start(s, p);
  else
    p.restart_at = Clock::now() + delay;
}

void Supervisor::signal_proc(Proc& p, int sig) {
  if (p.pid != 0 && p.state == RunState::run)
    (void)::kill(p.pid, sig); // ESRCH: it exited and SIGCHLD is on its way
}

void Supervisor::stop(Proc& p) {
  if (p.pid == 0 || p.state != RunState::run)
    return;
  (void)::kill(p.pid, SIGTERM); // ESRCH: already exiting
  p.got_term = true;
  p.stopped_by_us = true;
  // runsv: a service that should stay down is also woken up, so that a paused one dies.
  if (p.want != Want::up)
    (void)::kill(p.pid, SIGCONT);
  publish(p);
}

void Supervisor::command(Service& s, Proc& p, Command c) {
  switch (c) {
  case Command::up:
    if (s.exiting)
      return;
    p.want = Want::up;
    if (p.pid == 0)
      start(s, p);
    else
      publish(p);
    return;
  case Command::once:
    if (s.exiting)
      return;
    p.want = Want::down;
    p.restart_at.reset();
    if (p.pid == 0)
      start(s, p);
    else
      publish(p);
    return;
  case Command::down:
    if (s.exiting)
      return;
    p.want = Want::down;
    p.restart_at.reset();
    publish(p);
    stop(p);
    return;
  case Command::exit:
    if (!p.is_log) // runsv ignores `x` for the logger: it follows its service
      begin_exit(s, false);
    return;
  case Command::term:
    stop(p);
    return;
  case Command::kill:
    if (p.pid != 0 && p.state == RunState::run) {
      p.stopped_by_us = true;
      (void)::kill(p.pid, SIGKILL); // ESRCH: already gone
    }
    return;
  case Command::pause:
    signal_proc(p, SIGSTOP);
    p.paused = true;
    publish(p);
    return;
  case Command::cont:
    signal_proc(p, SIGCONT);
    p.paused = false;
    publish(p);
    return;
  case Command::hup:
    signal_proc(p, SIGHUP);
    return;
  case Command::alarm:
    signal_proc(p, SIGALRM);
    return;
  case Command::interrupt:
    signal_proc(p, SIGINT);
    return;
  case Command::quit:
    signal_proc(p, SIGQUIT);
    return;
  case Command::usr1:
    signal_proc(p, SIGUSR1);
    return;
  case Command::usr2:
    signal_proc(p, SIGUSR2);
    return;
  case Command::winch:
    signal_proc(p, SIGWINCH);
    return;
  }
}

// Status files are written once per loop iteration, not once per change: a stop is a TERM
// and then an exit, often in the same batch, and a start of a thousand services is one batch.
void Supervisor::publish(Proc& p) {
  if (p.quiet || p.dirty || status_held_)
    return;
  p.dirty = true;
  dirty_.push_back(&p);
}

void Supervisor::flush_status() {
  for (Proc* p : dirty_) {
    p->dirty = false;
    write_status(*p);
  }
  dirty_.clear();
}

void Supervisor::write_status(Proc& p) {
  if (p.quiet)
    return;
  if (!write_status_files(p.dir, status_of(p), p.want, p.written)) {
    if (!p.status_warned)
      warn_sys(errno, "unable to write '" + p.dir + "/supervise/status'");
    p.status_warned = true;
    return;
  }
  p.status_warned = false;
}

void Supervisor::begin_exit(Service& s, bool removed) {
  if (s.exiting)
    return;
  s.exiting = true;
  s.removed = removed;
  if (removed) {
    s.main.quiet = true;
    if (s.log)
      s.log->quiet = true;
  }
  s.main.want = Want::exit;
  s.main.restart_at.reset();
  publish(s.main);
  if (s.main.pid != 0 && s.main.state == RunState::run)
    stop(s.main);
  else if (s.main.pid == 0)
    after_main_down(s);
  // In finish: after_main_down follows when finish exits.
}

void Supervisor::after_main_down(Service& s) {
  // The logger reads what is left in the pipe, then sees EOF once the last writer (us, and
  // anything run left behind) is gone; that is how runsv stops it, and no line is lost.
  s.log_pipe.write.reset();
  s.log_pipe.read.reset();
  if (s.log) {
    s.log->want = Want::exit;
    s.log->restart_at.reset();
    publish(*s.log);
    if (s.log->pid != 0) {
      Clock::time_point at = Clock::now() + log_eof_grace;
      if (shutting_down_)
        at = std::min(at, deadline_);
      s.log_term_at = at;
    }
  }
  for (Prefixer* px : {s.out.get(), s.err.get()})
    if (px != nullptr)
      handle_output(s, *px, true);
  maybe_finish_exit(s);
}

void Supervisor::maybe_finish_exit(Service& s) {
  if (!s.exiting || s.main.pid != 0 || (s.log && s.log->pid != 0))
    return;
  if (!s.removed && !shutting_down_)
    exited_[s.name] = Clock::now() + exit_pause; // `sv exit`: back after a pause, as in runit
  if (!shutting_down_)
    recheck_.insert(s.name); // the name may already mean a new directory
  drop(s);
}

void Supervisor::drop(Service& s) {
  by_id_.erase(s.id);
  for (Proc* p : {&s.main, s.log.get()})
    if (p != nullptr && p->pid != 0)
      by_pid_.erase(p->pid);
  const auto it = services_.find(s.name);
  if (it != services_.end() && it->second.get() == &s) {
    graveyard_.push_back(std::move(it->second));
    services_.erase(it);
  }
}

void Supervisor::begin_shutdown() {
  if (shutting_down_)
    return;
  shutting_down_ = true;
  deadline_ = Clock::now() + kill_timeout_;
  status_held_ = true;
  status_hold_until_ = Clock::now() + shutdown_status_hold;
  std::vector<Service*> list;
  for (const auto& [name, s] : services_)
    list.push_back(s.get());
  for (Service* s : list)
    begin_exit(*s, false);
}

void Supervisor::kill_all() {
  killed_ = true;
  final_deadline_ = Clock::now() + kill_reap_grace;
  for (const auto& [pid, owner] : by_pid_) {
    // run and finish lead their own sessions: the group takes their helpers along.
    (void)::kill(-pid, SIGKILL); // ESRCH when the leader changed its group
    (void)::kill(pid, SIGKILL);
  }
}

} // namespace

int supervisor_main(int argc, char** argv) {
  set_program_name("supervisor");
  (void)log_never_block();
  if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
    log_line("usage: supervisor [DIR]");
    return 100;
  }
  std::string dir = argc == 2 ? argv[1] : "/etc/service";
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();

  // cinit has checked it already; a supervisor of its own refuses a bad value the same way.
  const std::optional<double> timeout = seconds_from_env("KILL_PROCESS_TIMEOUT", 30);
  if (!timeout)
    die(100, bad_seconds("KILL_PROCESS_TIMEOUT", std::getenv("KILL_PROCESS_TIMEOUT")));
  const char* prefix = std::getenv("SUPERVISOR_PREFIX_LOGS");
  const bool prefix_logs = prefix != nullptr && std::string_view(prefix) == "1";
  const auto kill_timeout = milliseconds(static_cast<long long>(*timeout * 1000));
  Supervisor sup(std::move(dir), kill_timeout, prefix_logs);
  return sup.run();
}

} // namespace cinit::supervisor
