#include "common/spawn.hpp"

#include "common/syscall.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sched.h>
#include <string_view>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cinit {
namespace {

// execvp's search, but over the PATH of the environment the child will get (a container's
// PATH comes from /etc/container_environment, not from the init's own environ).
std::string resolve(const std::string& name, const std::vector<std::string>& env, int& err) {
  err = ENOENT;
  if (name.find('/') != std::string::npos)
    return name;
  std::string_view path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const std::string& e : env)
    if (e.rfind("PATH=", 0) == 0)
      path = std::string_view(e).substr(5);
  while (true) {
    const std::size_t colon = path.find(':');
    const std::string_view dir = path.substr(0, colon);
    std::string candidate = dir.empty() ? std::string(".") : std::string(dir);
    candidate.append("/").append(name);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0)
        return candidate;
      err = EACCES;
    }
    if (colon == std::string_view::npos)
      break;
    path.remove_prefix(colon + 1);
  }
  return {};
}

// What the child needs, in the parent's memory (the child shares it until exec).
struct ChildArgs {
  const char* file;
  char* const* argv;
  char* const* envp;
  const SpawnOptions* opts;
  int error; // written by the child when it cannot exec
};

// The child of clone(CLONE_VM | CLONE_VFORK), on its own stack, in the parent's memory while
// the parent is suspended: only async-signal-safe calls, no allocation, nothing written but
// `error` (and errno, which is the parent's too: the parent reads it only when clone fails).
// Every signal is blocked on entry (see spawn()). Not instrumented by ASan, which does not
// know this stack.
[[noreturn]] __attribute__((no_sanitize("address"))) int exec_child(void* arg) {
  auto& a = *static_cast<ChildArgs*>(arg);
  const SpawnOptions& opts = *a.opts;
  // Session and terminal first, while the parent's SIGTTOU is still ignored: a background
  // process group calling tcsetpgrp() with SIGTTOU at its default would stop itself (and the
  // parent, suspended until the exec, with it).
  int err = 0;
  if (opts.new_session && ::setsid() < 0)
    err = errno;
  else if (!opts.new_session && (opts.new_process_group || opts.foreground_tty) &&
           ::setpgid(0, 0) < 0)
    err = errno;
  if (err == 0 && opts.foreground_tty)
    (void)::tcsetpgrp(STDIN_FILENO, ::getpid()); // best effort: stdin may not be our tty
  // Default disposition for every signal, glibc's internal ones (32, 33) included: glibc's
  // sigaction refuses those and its posix_spawn leaves them ignored across exec. An all-zero
  // kernel sigaction is SIG_DFL with no flags and an empty mask on every architecture; the
  // kernel wants its own sigset size, _NSIG / 8 bytes.
  unsigned long zero[8] = {};
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP)
      (void)::syscall(SYS_rt_sigaction, sig, zero, nullptr, static_cast<std::size_t>(NSIG / 8));
  sigset_t none;
  sigemptyset(&none);
  (void)::sigprocmask(SIG_SETMASK, &none, nullptr); // last: no handler is left to run
  // stdio first, then the extra fd: its source is never 0-2 in our callers, so the stdio
  // dups cannot have replaced it, and its target is above 2, so it replaces none of them.
  const int fds[4] = {opts.stdin_fd, opts.stdout_fd, opts.stderr_fd, opts.extra_fd};
  const int targets[4] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, opts.extra_fd_target};
  for (int i = 0; i < 4 && err == 0; ++i) {
    const int fd = fds[i];
    const int target = targets[i];
    if (fd < 0 || target < 0)
      continue;
    if (fd == target) { // dup2 onto itself keeps FD_CLOEXEC: clear it instead
      const int flags = ::fcntl(fd, F_GETFD);
      if (flags < 0 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        err = errno;
    } else if (::dup2(fd, target) < 0) {
      err = errno;
    }
  }
  if (err == 0 && opts.cwd_fd >= 0 && ::fchdir(opts.cwd_fd) < 0)
    err = errno;
  else if (err == 0 && opts.cwd_fd < 0 && !opts.cwd.empty() && ::chdir(opts.cwd.c_str()) < 0)
    err = errno;
  if (err == 0) {
    ::execve(a.file, a.argv, a.envp);
    err = errno;
  }
  a.error = err;
  ::_exit(err == ENOENT ? 127 : 126);
}

// The child's stack: spawn() runs on one thread at a time in each of our programs, and the
// parent is suspended while the child uses it. 64 KiB: the child's frames are small, and
// the pages it touches stay resident for the next spawn.
alignas(64) unsigned char child_stack[64 * 1024];

} // namespace

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const std::string& s : v)
    out.push_back(const_cast<char*>(s.c_str())); // exec's prototype is not const-correct
  out.push_back(nullptr);
  return out;
}

SpawnResult spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                  const SpawnOptions& opts) {
  if (argv.empty())
    return {-1, EINVAL};
  std::string file = opts.exec_path.empty() ? argv[0] : opts.exec_path;
  if (opts.path_search && opts.exec_path.empty()) {
    int err = 0;
    file = resolve(argv[0], env, err);
    if (file.empty())
      return {-1, err};
  }
  std::vector<char*> cargv = c_strings(argv);
  std::vector<char*> cenv = c_strings(env);
  ChildArgs args{file.c_str(), cargv.data(), cenv.data(), &opts, 0};

  // vfork semantics, as posix_spawn: no copy of our page tables and no copy-on-write faults
  // in the parent afterwards (a fork costs both, and in a VM each fault is a trap). Signals
  // stay blocked until the child has reset every disposition: no handler of ours may run on
  // the child's stack in our memory.
  sigset_t all, saved;
  sigfillset(&all);
  (void)::sigprocmask(SIG_SETMASK, &all, &saved);
  const pid_t pid = ::clone(exec_child, child_stack + sizeof child_stack,
                            CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  const int clone_err = errno;
  (void)::sigprocmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0)
    return {-1, clone_err};
  // The child has exec'd or exited. If it could not exec, reap it here so that no caller
  // sees a process that never ran.
  if (args.error != 0) {
    (void)retry_eintr([&] { return ::waitpid(pid, nullptr, 0); });
    return {-1, args.error};
  }
  return {pid, 0};
}

int shell_status(int wait_status) {
  if (WIFEXITED(wait_status))
    return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status))
    return 128 + WTERMSIG(wait_status);
  return 255;
}

} // namespace cinit
