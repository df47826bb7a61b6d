// cinit's event loop. Rules it keeps: only waitpid(-1) here reaps; every signal arrives
// through one signalfd; no timer runs unless a deadline exists (an idle init never wakes);
// nothing thrown escapes; whatever fails, shutdown still runs.
#include "init/init.hpp"

#include "common/log.hpp"
#include "common/signals.hpp"
#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace cinit::init {
namespace {

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;

Deadline after(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

bool passed(const Deadline& d) {
  return d && Clock::now() >= *d;
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv)
    s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return std::to_string(shell_status(status)) + " (killed by signal " +
           std::to_string(WTERMSIG(status)) + ")";
  return std::to_string(shell_status(status));
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Parent pid of `pid` from /proc/PID/stat ("pid (comm) state ppid ..."; comm may hold ") ").
pid_t parent_of(const std::string& pid) {
  const auto stat = read_file("/proc/" + pid + "/stat");
  if (!stat)
    return -1;
  const std::size_t paren = stat->rfind(')');
  if (paren == std::string::npos || paren + 4 > stat->size())
    return -1;
  return static_cast<pid_t>(std::atoi(stat->c_str() + paren + 4));
}

// Every descendant of `root`, found by walking /proc: a non-PID-1 init must spare the rest of
// the machine, so its kill-all signals these and nothing else.
std::vector<pid_t> descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  if (const auto names = list_dir("/proc"))
    for (const std::string& name : *names)
      if (name.find_first_not_of("0123456789") == std::string::npos)
        children.emplace(parent_of(name), static_cast<pid_t>(std::atoi(name.c_str())));
  std::vector<pid_t> out;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    const auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      out.push_back(it->second);
      todo.push_back(it->second);
    }
  }
  return out;
}

class Init {
public:
  Init(const Options& o, const Timeouts& t, const Paths& p)
      : o_(o), t_(t), p_(p), env_(env_from_strings(environ), p), pid1_(::getpid() == 1) {}

  int run();

private:
  void info(const std::string& line) const {
    if (!o_.quiet)
      log_line("*** " + line);
  }

  void setup();
  void wait_events(const Deadline& deadline);
  void handle_signal(int sig);
  void reap();
  bool running(pid_t pid) const {
    const auto it = watched_.find(pid);
    return it != watched_.end() && !it->second;
  }
  int status_of(pid_t pid) const { return watched_.at(pid).value_or(0); }
  template <typename Done> void loop_until(Done done, const Deadline& deadline);
  // Handles whatever signals are pending, without waiting; true if a stop was asked for.
  bool stop_pending() {
    wait_events(Clock::now());
    return stop_signal_ != 0;
  }

  pid_t start(const std::vector<std::string>& argv, const SpawnOptions& opts, std::string& err);
  SpawnOptions job_options() const;
  void end_job(const SpawnOptions& opts) const;
  std::optional<int> run_script(const std::string& path, const Deadline& deadline);
  void stop_child(pid_t pid, const std::string& what, int sig);
  bool boot();
  void start_supervisor();
  void run_main();
  void wait_services();
  void run_shutdown_scripts(const std::string& dir);
  void shutdown();
  void kill_all();
  void signal_all(int sig);

  const Options& o_;
  Timeouts t_;
  Paths p_;
  ContainerEnv env_;
  bool pid1_;
  bool owns_terminal_ = false; // stdin is a tty whose foreground was ours at start
  UniqueFd sigfd_;
  sigset_t handled_{};
  std::map<pid_t, std::optional<int>> watched_; // our own children and, once reaped, status
  bool no_children_ = false;
  pid_t main_pid_ = -1;
  pid_t supervisor_pid_ = -1;
  pid_t script_pid_ = -1;
  Deadline main_kill_at_; // armed by SIGTERM: CMD gets SIGKILL after KILL_PROCESS_TIMEOUT
  int stop_signal_ = 0;   // the first TERM/INT that asked us to stop
  bool shutting_down_ = false;
  int exit_code_ = 0;
};

void Init::setup() {
  if (!pid1_ && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    warn_sys(errno, "unable to become a child subreaper");
  // Writes to a closed pipe or a tty we lost must fail with an error, not kill PID 1.
  (void)::signal(SIGPIPE, SIG_IGN);
  (void)::signal(SIGTTOU, SIG_IGN);
  (void)::signal(SIGTTIN, SIG_IGN);
  forwarded_signals(handled_);
  sigaddset(&handled_, SIGCHLD);
  // Decided once, before any job moves the foreground: a backgrounded non-PID-1 cinit must not
  // take the terminal from the user's shell. As PID 1 of a namespace made from outside (the
  // launcher, unshare), our group and the foreground group both lie outside it and both read
  // 0, so such a PID 1 counts as the owner; and it cannot name that group to give it back.
  owns_terminal_ = ::isatty(STDIN_FILENO) == 1 && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
  if (sigprocmask(SIG_BLOCK, &handled_, nullptr) != 0)
    die_sys(1, errno, "unable to block signals");
  sigfd_.reset(::signalfd(-1, &handled_, SFD_CLOEXEC)); // blocking: see wait_events
  if (!sigfd_.valid())
    die_sys(1, errno, "unable to create signalfd");
}

// Sleeps until a signal arrives or `deadline` passes, then handles the pending signals. No
// deadline: one blocking read, the shortest path from a signal to its forwarding (and
// nothing left to do after the kill() but block again).
void Init::wait_events(const Deadline& deadline) {
  if (deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
    pollfd pfd{sigfd_.get(), POLLIN, 0};
    const int ready =
        ::poll(&pfd, 1, static_cast<int>(std::clamp<long long>(left.count(), 0, 1 << 30)));
    if (ready < 0 && errno != EINTR)
      warn_sys(errno, "poll");
    if (ready <= 0)
      return;
  }
  // Every pending signal that fits; the rest come with the next call, without blocking.
  std::array<signalfd_siginfo, 16> si{};
  const ssize_t n = ::read(sigfd_.get(), si.data(), sizeof si);
  if (n < 0) {
    if (errno != EINTR)
      warn_sys(errno, "unable to read signals");
    return;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof si[0]; ++i)
    handle_signal(static_cast<int>(si[i].ssi_signo));
}

void Init::handle_signal(int sig) {
  if (sig == SIGCHLD) {
    reap();
    return;
  }
  const bool stop = sig == SIGTERM || sig == SIGINT;
  if (running(main_pid_)) {
    // Forwarded as themselves (my_init turned INT into TERM and dropped the rest).
    (void)::kill(main_pid_, sig); // ESRCH: it is exiting, its SIGCHLD is on the way
    if (sig == SIGTERM && !main_kill_at_)
      main_kill_at_ = after(t_.kill_process);
    if (stop && stop_signal_ == 0)
      stop_signal_ = sig;
  } else if (running(script_pid_)) {
    (void)::kill(script_pid_, sig);
    if (stop && stop_signal_ == 0 && !shutting_down_)
      stop_signal_ = sig;
  } else if (stop) {
    if (stop_signal_ == 0)
      stop_signal_ = sig;
  } else if (sig == SIGHUP && running(supervisor_pid_)) {
    (void)::kill(supervisor_pid_, SIGHUP); // asks the supervisor to rescan
  }
}

// SIGCHLDs coalesce: reap until nothing is left to reap.
void Init::reap() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid == 0) {
      no_children_ = false; // children exist (orphans may arrive without a SIGCHLD to us)
      return;
    }
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      no_children_ = errno == ECHILD;
      return;
    }
    const auto it = watched_.find(pid);
    if (it != watched_.end())
      it->second = status;
  }
}

template <typename Done> void Init::loop_until(Done done, const Deadline& deadline) {
  while (!done() && !passed(deadline)) {
    try {
      wait_events(deadline);
    } catch (const std::exception& e) { // a net for bugs, not control flow
      warn(std::string("internal error: ") + e.what());
    }
  }
}

pid_t Init::start(const std::vector<std::string>& argv, const SpawnOptions& opts,
                  std::string& err) {
  const SpawnResult r = spawn(argv, env_.strings(), opts);
  if (r.pid < 0) {
    err = std::strerror(r.error);
    errno = r.error;
    return -1;
  }
  watched_[r.pid] = std::nullopt;
  no_children_ = false;
  return r.pid;
}

// CMD and the startup and shutdown scripts run as a shell runs a job: each in a process group
// of its own (as tini and dumb-init run their child), so that a signal sent to the job's group
// reaches its whole pipeline and never cinit, and cinit is never in its child's group (tini's
// reaping test counts whatever shares the child's group as not reaped). On our terminal the
// job is the foreground: the tty's Ctrl-C reaches it once, directly, instead of reaching it
// and cinit, which would forward a second one (and take it as a stop); and a script may read
// the terminal without being stopped by SIGTTIN. The supervisor is no job: it gets a session
// of its own, so services never see the terminal's signals. spawn's child calls setpgid()
// before it execs, and the parent resumes only after the exec (vfork semantics), so the group
// exists before anyone can signal it.
SpawnOptions Init::job_options() const {
  SpawnOptions opts;
  opts.new_process_group = true;
  opts.foreground_tty = owns_terminal_;
  return opts;
}

// After a job (or its failed exec): the terminal goes back to cinit's group, best effort (see
// setup(): as PID 1 of a namespace that group has no number here, and the next job takes the
// terminal from the dead one). cinit ignores SIGTTOU, so this works from the background too.
void Init::end_job(const SpawnOptions& opts) const {
  if (opts.foreground_tty)
    (void)::tcsetpgrp(STDIN_FILENO, ::getpgrp());
}

// Runs one script to completion (SIGKILL at `deadline`, or KILL_PROCESS_TIMEOUT after a stop
// signal). Returns its wait status, or nullopt if it could not start.
std::optional<int> Init::run_script(const std::string& path, const Deadline& deadline) {
  info("Running " + path + "...");
  std::string err;
  const SpawnOptions opts = job_options();
  script_pid_ = start({path}, opts, err);
  if (script_pid_ < 0) {
    end_job(opts);
    log_line("*** " + path + " could not be started: " + err);
    return std::nullopt;
  }
  Deadline kill_at = deadline;
  const int stop_before = stop_signal_;
  loop_until(
      [&] {
        if (stop_signal_ != stop_before && !kill_at)
          kill_at = after(t_.kill_process);
        return !running(script_pid_);
      },
      kill_at);
  if (running(script_pid_)) {
    (void)::kill(script_pid_, SIGKILL);
    loop_until([&] { return !running(script_pid_); }, {});
  }
  end_job(opts);
  const pid_t pid = std::exchange(script_pid_, -1);
  return status_of(pid);
}

// TERM (or `sig`), KILL_PROCESS_TIMEOUT, KILL: for the main command and the supervisor.
void Init::stop_child(pid_t pid, const std::string& what, int sig) {
  if (!running(pid))
    return;
  info("Shutting down " + what + " (PID " + std::to_string(pid) + ")...");
  (void)::kill(pid, sig);
  loop_until([&] { return !running(pid); }, after(t_.kill_process));
  if (running(pid)) {
    warn(what + " did not stop within KILL_PROCESS_TIMEOUT: sending SIGKILL");
    (void)::kill(pid, SIGKILL);
    loop_until([&] { return !running(pid); }, {});
  }
}

bool Init::boot() {
  env_.import_initial();
  env_.dump(true);
  std::vector<std::string> scripts;
  if (o_.enable_insecure_key) {
    if (::access(p_.insecure_key.c_str(), X_OK) != 0) {
      warn_sys(errno, "--enable-insecure-key: unable to run '" + p_.insecure_key + "'");
      exit_code_ = 1;
      return false;
    }
    scripts.push_back(p_.insecure_key);
  }
  if (!o_.skip_startup_files) {
    for (std::string& s : startup_scripts(p_.init_dir))
      scripts.push_back(std::move(s));
    if (::access(p_.rc_local.c_str(), X_OK) == 0)
      scripts.push_back(p_.rc_local);
  }
  for (const std::string& path : scripts) {
    if (stop_pending()) { // asked to stop between scripts: start nothing else
      exit_code_ = 128 + stop_signal_;
      return false;
    }
    const auto status = run_script(path, {});
    if (!status || *status != 0) {
      if (status)
        log_line("*** " + path + " failed with status " + describe_status(*status) + "\n");
      log_line("*** Init system aborted.");
      exit_code_ = stop_signal_ != 0 ? 128 + stop_signal_ : 1;
      return false;
    }
    env_.reimport();
    env_.dump(false);
  }
  if (stop_pending()) {
    exit_code_ = 128 + stop_signal_;
    return false;
  }
  return true;
}

void Init::start_supervisor() {
  if (o_.skip_runit || !is_dir(p_.service_dir) || stop_pending())
    return;
  std::string err;
  SpawnOptions opts;
  opts.new_session = true; // no controlling tty: a Ctrl-C meant for CMD never hits services
  opts.path_search = false;
#ifdef CINIT_HAVE_SUPERVISOR
  // One file is enough: the supervisor is linked into cinit and started from its own
  // executable under the supervisor's name.
  info("Booting supervisor...");
  opts.exec_path = "/proc/self/exe";
  supervisor_pid_ = start({"supervisor", p_.service_dir}, opts, err);
  if (supervisor_pid_ < 0) {
    warn("unable to start the supervisor from /proc/self/exe: " + err);
    return;
  }
  info("Supervisor started as PID " + std::to_string(supervisor_pid_));
#else
  info("Booting runit daemon...");
  supervisor_pid_ = start({"/usr/bin/runsvdir", "-P", p_.service_dir}, opts, err);
  if (supervisor_pid_ < 0) {
    warn("unable to start '/usr/bin/runsvdir': " + err);
    return;
  }
  info("Runit started as PID " + std::to_string(supervisor_pid_));
#endif
}

void Init::run_main() {
  info("Running " + join(o_.command) + "...");
  // A job (see job_options); signals sent to cinit are still forwarded to CMD's pid alone.
  const SpawnOptions opts = job_options();
  std::string err;
  main_pid_ = start(o_.command, opts, err);
  if (main_pid_ < 0) {
    const int e = errno;
    end_job(opts);
    log_line(std::string(program_name()) + ": cannot execute " + o_.command[0] + ": " + err);
    exit_code_ = e == ENOENT ? 127 : 126;
    return;
  }
  loop_until(
      [&] {
        if (passed(main_kill_at_)) {
          warn(o_.command[0] + " did not exit within KILL_PROCESS_TIMEOUT: sending SIGKILL");
          (void)::kill(main_pid_, SIGKILL);
          main_kill_at_.reset();
        }
        return !running(main_pid_);
      },
      main_kill_at_); // by reference: a SIGTERM arms it while we wait
  end_job(opts);
  const int status = status_of(main_pid_);
  exit_code_ = shell_status(status);
  info(o_.command[0] + " exited with status " + describe_status(status) + ".");
}

void Init::wait_services() {
  loop_until(
      [&] { return stop_signal_ != 0 || (supervisor_pid_ > 0 && !running(supervisor_pid_)); }, {});
  if (stop_signal_ != 0) {
    exit_code_ = 0; // services-only: a clean stop is a success
    return;
  }
  const int status = status_of(supervisor_pid_);
  warn("the supervisor exited with status " + describe_status(status));
  exit_code_ = shell_status(status);
}

void Init::run_shutdown_scripts(const std::string& dir) {
  for (const std::string& path : startup_scripts(dir)) {
    const auto status = run_script(path, after(t_.kill_process));
    if (status && *status != 0)
      log_line("*** " + path + " failed with status " + describe_status(*status));
  }
}

void Init::shutdown() {
  shutting_down_ = true;
  // Every step runs even if an earlier one failed: the kill-all must always happen.
  const auto step = [&](const char* what, const auto& f) {
    try {
      f();
    } catch (const std::exception& e) {
      warn(std::string("internal error while ") + what + ": " + e.what());
    }
  };
  step("stopping the command",
       [&] { stop_child(main_pid_, o_.command.empty() ? "command" : o_.command[0], SIGTERM); });
  step("running pre-shutdown scripts", [&] { run_shutdown_scripts(p_.pre_shutdown_dir); });
  step("stopping the supervisor", [&] {
    if (!running(supervisor_pid_))
      return;
    // The supervisor enforces KILL_PROCESS_TIMEOUT per service; the margin lets it finish.
    info("Shutting down supervisor (PID " + std::to_string(supervisor_pid_) + ")...");
    (void)::kill(supervisor_pid_, SIGTERM);
    loop_until([&] { return !running(supervisor_pid_); }, after(t_.kill_process + 5));
    if (running(supervisor_pid_)) {
      warn("the supervisor did not stop in time: sending SIGKILL");
      (void)::kill(supervisor_pid_, SIGKILL);
      loop_until([&] { return !running(supervisor_pid_); }, {});
    }
  });
  step("running post-shutdown scripts", [&] { run_shutdown_scripts(p_.post_shutdown_dir); });
  if (!o_.no_kill_all_on_exit)
    step("killing all processes", [&] { kill_all(); });
}

void Init::signal_all(int sig) {
  if (pid1_) {
    (void)::kill(-1, sig); // in our PID namespace: everything but us
    return;
  }
  for (const pid_t pid : descendants(::getpid()))
    (void)::kill(pid, sig);
}

void Init::kill_all() {
  reap();
  if (no_children_)
    return;
  info("Killing all processes...");
  signal_all(SIGTERM);
  // SIGCONT too: a stopped process cannot act on SIGTERM.
  signal_all(SIGCONT);
  reap();
  loop_until([&] { return no_children_; }, after(t_.kill_all_processes));
  if (!no_children_) {
    signal_all(SIGKILL);
    loop_until([&] { return no_children_; }, after(5));
  }
}

int Init::run() {
  setup();
  try {
    if (boot()) {
      start_supervisor();
      if (!o_.command.empty() && stop_pending())
        exit_code_ = 128 + stop_signal_; // stopped before CMD could start
      else if (!o_.command.empty())
        run_main();
      else
        wait_services();
    }
  } catch (const std::exception& e) {
    warn(std::string("internal error: ") + e.what() + ": shutting down");
    exit_code_ = 1;
  }
  shutdown();
  return exit_code_;
}

} // namespace

int run(const Options& options, const Timeouts& timeouts, const Paths& paths) {
  Init init(options, timeouts, paths);
  return init.run();
}

} // namespace cinit::init
