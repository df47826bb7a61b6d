#include "common/spawn.hpp"

#include <cerrno>
#include <csignal>
#include <spawn.h>
#include <string_view>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cinit {
namespace {

std::vector<char*> to_cstrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const std::string& s : v)
    out.push_back(const_cast<char*>(s.c_str())); // exec's prototype is not const-correct
  out.push_back(nullptr);
  return out;
}

// Keeps posix_spawn's attribute objects paired with their destroy calls.
struct SpawnAttrs {
  posix_spawnattr_t attr{};
  posix_spawn_file_actions_t actions{};
  SpawnAttrs() {
    (void)posix_spawnattr_init(&attr);
    (void)posix_spawn_file_actions_init(&actions);
  }
  ~SpawnAttrs() {
    (void)posix_spawn_file_actions_destroy(&actions);
    (void)posix_spawnattr_destroy(&attr);
  }
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;
};

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

} // namespace

SpawnResult spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                  const SpawnOptions& opts) {
  if (argv.empty())
    return {-1, EINVAL};
  std::string file = argv[0];
  if (opts.path_search) {
    int err = 0;
    file = resolve(argv[0], env, err);
    if (file.empty())
      return {-1, err};
  }
  std::vector<char*> cargv = to_cstrings(argv);
  std::vector<char*> cenv = to_cstrings(env);

  SpawnAttrs a;
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (opts.new_session)
    flags |= POSIX_SPAWN_SETSID;
  else if (opts.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    (void)posix_spawnattr_setpgroup(&a.attr, 0);
  }
  (void)posix_spawnattr_setflags(&a.attr, flags);
  (void)posix_spawnattr_setsigmask(&a.attr, &none);
  (void)posix_spawnattr_setsigdefault(&a.attr, &all);
  // dup2 onto the same number clears FD_CLOEXEC in glibc, so an inherited fd stays usable.
  if (opts.stdin_fd >= 0)
    (void)posix_spawn_file_actions_adddup2(&a.actions, opts.stdin_fd, STDIN_FILENO);
  if (opts.stdout_fd >= 0)
    (void)posix_spawn_file_actions_adddup2(&a.actions, opts.stdout_fd, STDOUT_FILENO);
  if (opts.stderr_fd >= 0)
    (void)posix_spawn_file_actions_adddup2(&a.actions, opts.stderr_fd, STDERR_FILENO);
  if (!opts.cwd.empty())
    (void)posix_spawn_file_actions_addchdir_np(&a.actions, opts.cwd.c_str());

  pid_t pid = -1;
  const int err = posix_spawn(&pid, file.c_str(), &a.actions, &a.attr, cargv.data(), cenv.data());
  if (err != 0)
    return {-1, err};
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
