#include "common/spawn.hpp"

#include "common/syscall.hpp"
#include "common/unique_fd.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/syscall.h>
#include <string_view>
#include <sys/stat.h>
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

// Between fork and exec: only async-signal-safe calls, no allocation. Failures go to the
// parent as an errno over the CLOEXEC pipe.
[[noreturn]] void exec_child(const char* file, char* const* argv, char* const* envp,
                             const SpawnOptions& opts, int err_fd) {
  // Session and terminal first, while the parent's SIGTTOU is still ignored: a background
  // process group calling tcsetpgrp() with SIGTTOU at its default would stop itself (and the
  // parent, waiting on the error pipe, with it).
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
  (void)::sigprocmask(SIG_SETMASK, &none, nullptr);
  const int fds[3] = {opts.stdin_fd, opts.stdout_fd, opts.stderr_fd};
  for (int target = 0; target < 3 && err == 0; ++target) {
    const int fd = fds[target];
    if (fd < 0)
      continue;
    if (fd == target) { // dup2 onto itself keeps FD_CLOEXEC: clear it instead
      const int flags = ::fcntl(fd, F_GETFD);
      if (flags < 0 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        err = errno;
    } else if (::dup2(fd, target) < 0) {
      err = errno;
    }
  }
  if (err == 0 && !opts.cwd.empty() && ::chdir(opts.cwd.c_str()) < 0)
    err = errno;
  if (err == 0) {
    ::execve(file, argv, envp);
    err = errno;
  }
  if (::write(err_fd, &err, sizeof err) < 0) {
    // Nothing left to tell: the exit code below still says what happened.
  }
  ::_exit(err == ENOENT ? 127 : 126);
}

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
  Pipe errors;
  if (!make_pipe(errors))
    return {-1, errno};

  const pid_t pid = ::fork();
  if (pid < 0)
    return {-1, errno};
  if (pid == 0)
    exec_child(file.c_str(), cargv.data(), cenv.data(), opts, errors.write.get());
  errors.write.reset();
  int child_err = 0;
  // EOF (0 bytes): exec succeeded and closed the pipe. Otherwise the child reports errno and
  // exits; reap it here so that no caller sees a process that never ran.
  if (read_full(errors.read.get(), &child_err, sizeof child_err) ==
      static_cast<ssize_t>(sizeof child_err)) {
    (void)retry_eintr([&] { return ::waitpid(pid, nullptr, 0); });
    return {-1, child_err};
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
