#include "launcher/run/namespaces.hpp"

#include "common/log.hpp"
#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"

#include <csignal>
#include <exception>
#include <iostream>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cinit::launcher {
namespace {

[[noreturn]] void child_main(const Pipe& go, const std::function<int()>& body) {
  // If the launcher dies, so does everything below (a pid-ns init takes its namespace along).
  // (getppid() cannot tell whether the parent is gone: in a new pid namespace it is 0. The
  // pipe can: if the parent died before this took effect, the read below sees EOF.)
  (void)::prctl(PR_SET_PDEATHSIG, SIGKILL); // cannot fail for a valid signal
  char byte = 0;
  if (read_full(go.read.get(), &byte, 1) != 1)
    ::_exit(125); // the parent died or gave up (a map failure, reported there)
  int code = 125;
  try {
    if (::setresgid(0, 0, 0) != 0)
      throw SysError("unable to become group 0 in the user namespace", {}, errno);
    if (::setresuid(0, 0, 0) != 0)
      throw SysError("unable to become user 0 in the user namespace", {}, errno);
    // Credential changes may clear the parent-death signal; arm it again (rootlesskit does).
    (void)::prctl(PR_SET_PDEATHSIG, SIGKILL);
    code = body();
  } catch (const std::exception& e) {
    die(125, e.what());
  }
  std::cout.flush();
  ::_exit(code);
}

} // namespace

pid_t spawn_in_userns(int extra_flags, const IdMapPlan& plan, const std::function<int()>& body) {
  Pipe go;
  if (!make_pipe(go))
    throw SysError("unable to create a pipe", {}, errno);
  std::cout.flush(); // the child must not inherit (and flush again) buffered output
  const long r =
      ::syscall(SYS_clone, static_cast<unsigned long>(CLONE_NEWUSER | extra_flags) | SIGCHLD,
                nullptr, nullptr, nullptr, nullptr);
  if (r < 0) {
    const int err = errno;
    if (err == EPERM || err == ENOSPC || err == EINVAL)
      throw SysError("unable to create a user namespace (check user.max_user_namespaces and "
                     "kernel.apparmor_restrict_unprivileged_userns)",
                     {}, err);
    throw SysError("unable to clone", {}, err);
  }
  if (r == 0) {
    go.write.reset();
    child_main(go, body);
  }
  const auto pid = static_cast<pid_t>(r);
  go.read.reset();
  try {
    apply_id_map(pid, plan);
  } catch (...) {
    (void)::kill(pid, SIGKILL); // it is blocked on the pipe, waiting for us
    (void)wait_child(pid);
    throw;
  }
  if (!write_full(go.write.get(), "g")) {
    const int err = errno;
    (void)::kill(pid, SIGKILL);
    (void)wait_child(pid);
    throw SysError("unable to release the child", {}, err);
  }
  return pid;
}

int wait_child(pid_t pid) {
  int status = 0;
  if (retry_eintr([&] { return ::waitpid(pid, &status, 0); }) < 0)
    throw SysError("unable to wait for process " + std::to_string(pid), {}, errno);
  return shell_status(status);
}

int run_in_userns(const IdMapPlan& plan, const std::function<int()>& body) {
  return wait_child(spawn_in_userns(0, plan, body));
}

} // namespace cinit::launcher
