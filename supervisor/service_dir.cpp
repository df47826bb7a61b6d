#include "supervisor/service_dir.hpp"

#include "common/spawn.hpp"
#include "common/syscall.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace cinit::supervisor {
namespace {

std::string describe(const std::string& path, std::string_view what, int err) {
  std::string out = "unable to ";
  out.append(what).append(" '").append(path).append("'");
  if (err != 0)
    out.append(": ").append(std::strerror(err));
  return out;
}

// "" when PATH is an executable regular file, else the problem.
std::string check_program(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return describe(path, "stat", errno);
  if (!S_ISREG(st.st_mode))
    return "'" + path + "' is not a regular file";
  if (::access(path.c_str(), X_OK) != 0)
    return describe(path, "execute", errno);
  return {};
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// mkdir -p with mode 0700 for every directory it has to create.
bool make_dirs(const std::string& path) {
  if (path.empty())
    return true;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0)
    return S_ISDIR(st.st_mode) ? true : (errno = ENOTDIR, false);
  const std::size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0 && !make_dirs(path.substr(0, slash)))
    return false;
  return ::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST;
}

// Opens (creating it if missing) the FIFO at PATH; refuses anything that is not a FIFO.
std::string open_fifo(const std::string& path, int flags, UniqueFd& out) {
  if (::mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST)
    return describe(path, "create FIFO", errno);
  UniqueFd fd(retry_eintr([&] { return ::open(path.c_str(), flags | O_NONBLOCK | O_CLOEXEC); }));
  if (!fd.valid())
    return describe(path, "open", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return describe(path, "stat", errno);
  if (!S_ISFIFO(st.st_mode))
    return "'" + path + "' is not a FIFO";
  out = std::move(fd);
  return {};
}

} // namespace

bool service_name(std::string_view name) {
  return !name.empty() && name[0] != '.' && name.find('/') == std::string_view::npos;
}

std::string service_path(std::string_view svdir, std::string_view name) {
  std::string path(name);
  if (!name.empty() && name[0] != '/' && name[0] != '.')
    path = std::string(svdir) + "/" + path;
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  return path;
}

Inspection inspect_service_dir(const std::string& dir) {
  Inspection r;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    r.problem = describe(dir, "stat", errno);
    return r;
  }
  if (!S_ISDIR(st.st_mode)) {
    r.problem = "'" + dir + "' is not a directory";
    return r;
  }
  // Searchable and readable: runsv chdir()s into it and we create supervise/ there.
  if (::access(dir.c_str(), R_OK | X_OK) != 0) {
    r.problem = describe(dir, "open directory", errno);
    return r;
  }
  r.problem = check_program(dir + "/run");
  if (!r.problem.empty())
    return r;
  ServiceDirInfo info;
  info.dev = st.st_dev;
  info.ino = st.st_ino;
  info.down = exists(dir + "/down");
  struct stat log {};
  const std::string log_dir = dir + "/log";
  if (::stat(log_dir.c_str(), &log) == 0 && S_ISDIR(log.st_mode)) {
    if (::access(log_dir.c_str(), R_OK | X_OK) != 0) {
      r.problem = describe(log_dir, "open directory", errno);
      return r;
    }
    r.problem = check_program(log_dir + "/run");
    if (!r.problem.empty())
      return r;
    info.has_log = true;
    info.log_down = exists(log_dir + "/down");
  }
  std::string fd_problem;
  (void)read_notification_fd(dir, fd_problem);
  if (!fd_problem.empty()) {
    r.problem = fd_problem;
    return r;
  }
  r.info = info;
  return r;
}

std::string prepare_supervise(const std::string& dir, SuperviseFds& out) {
  const std::string sup = dir + "/supervise";
  struct stat st {};
  if (::lstat(sup.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return describe(sup, "stat", errno);
    if (::mkdir(sup.c_str(), 0700) != 0 && errno != EEXIST)
      return describe(sup, "create directory", errno);
  } else if (S_ISLNK(st.st_mode) && ::stat(sup.c_str(), &st) != 0 && errno == ENOENT) {
    // Debian: supervise -> /run/runit/supervise/NAME, dangling on a fresh tmpfs /run.
    char buf[PATH_MAX];
    const ssize_t n = ::readlink(sup.c_str(), buf, sizeof buf - 1);
    if (n < 0)
      return describe(sup, "read symlink", errno);
    std::string target(buf, static_cast<std::size_t>(n));
    if (target.empty() || target[0] != '/')
      target = dir + "/" + target;
    while (target.size() > 1 && target.back() == '/')
      target.pop_back();
    if (!make_dirs(target))
      return describe(target, "create directory", errno);
  }
  if (::stat(sup.c_str(), &st) != 0)
    return describe(sup, "stat", errno);
  if (!S_ISDIR(st.st_mode))
    return "'" + sup + "' is not a directory";

  const std::string lock_path = sup + "/lock";
  UniqueFd lock(retry_eintr([&] {
    return ::open(lock_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
  }));
  if (!lock.valid())
    return describe(lock_path, "open", errno);
  if (::fstat(lock.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return "'" + lock_path + "' is not a regular file";
  // runit's lock_exnb() is flock() on Linux: a running runsv holds the same lock.
  if (retry_eintr([&] { return ::flock(lock.get(), LOCK_EX | LOCK_NB); }) != 0)
    return describe(lock_path, "lock", errno);

  SuperviseFds fds;
  fds.lock = std::move(lock);
  std::string problem = open_fifo(sup + "/control", O_RDWR, fds.control);
  if (problem.empty())
    problem = open_fifo(sup + "/ok", O_RDONLY, fds.ok);
  if (!problem.empty())
    return problem;
  out = std::move(fds);
  return {};
}

bool write_status_files(const std::string& dir, const Status& status, Want want,
                        WrittenStatus& last) {
  const std::string sup = dir + "/supervise/";
  const StatusBytes bytes = encode_status(status);
  std::string pid = status.pid != 0 ? std::to_string(status.pid) + "\n" : std::string();
  std::string stat = stat_text(status.state, status.paused, status.got_term, want);
  const bool all = !last.valid;
  last.valid = false; // until every write below has succeeded
  // runsv's order: pid, stat, then status, which sv reads; when sv sees a new status the
  // other two are already current.
  if ((all || pid != last.pid) && !write_file_atomic(sup + "pid", pid, 0644))
    return false;
  if ((all || stat != last.stat) && !write_file_atomic(sup + "stat", stat, 0644))
    return false;
  if ((all || bytes != last.status) &&
      !write_file_atomic(sup + "status", std::string_view(bytes.data(), bytes.size()), 0644))
    return false;
  last.pid = std::move(pid);
  last.stat = std::move(stat);
  last.status = bytes;
  last.valid = true;
  return true;
}

void write_ready_file(const std::string& dir, pid_t pid) {
  // Best effort: only ours `sv -w` reads it, and it then times out visibly.
  (void)write_file_atomic(dir + "/supervise/ready", std::to_string(pid) + "\n", 0644);
}

void remove_ready_file(const std::string& dir) {
  (void)::unlink((dir + "/supervise/ready").c_str()); // ENOENT is the usual case
}

pid_t read_ready_file(const std::string& dir) {
  const std::optional<std::string> text = read_file(dir + "/supervise/ready");
  if (!text)
    return 0;
  long pid = 0;
  for (const char c : *text) {
    if (c == '\n')
      break;
    if (c < '0' || c > '9' || pid > INT_MAX / 10)
      return 0;
    pid = pid * 10 + (c - '0');
  }
  return static_cast<pid_t>(pid);
}

std::optional<int> parse_notification_fd(std::string_view text) {
  if (!text.empty() && text.back() == '\n')
    text.remove_suffix(1);
  if (text.empty() || text.size() > 4)
    return std::nullopt;
  int n = 0;
  for (const char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 3 || n > 1023)
    return std::nullopt;
  return n;
}

std::optional<int> read_notification_fd(const std::string& dir, std::string& problem) {
  const std::string path = dir + "/notification-fd";
  // O_NONBLOCK: a FIFO here must not hang the supervisor.
  UniqueFd fd(retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC); }));
  if (!fd.valid()) {
    if (errno != ENOENT)
      problem = describe(path, "open", errno);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    problem = "'" + path + "' is not a regular file";
    return std::nullopt;
  }
  char buf[16];
  const ssize_t n = read_full(fd.get(), buf, sizeof buf);
  if (n < 0) {
    problem = describe(path, "read", errno);
    return std::nullopt;
  }
  const std::optional<int> value = parse_notification_fd({buf, static_cast<std::size_t>(n)});
  if (!value)
    problem = "'" + path + "' does not hold a file descriptor number from 3 to 1023";
  return value;
}

pid_t spawn_service(const ServiceSpawn& spec, int& error) {
  // The supervisor's environment does not change while it runs: copy it once.
  static const std::vector<std::string> env = [] {
    std::vector<std::string> out;
    for (char** e = environ; *e != nullptr; ++e)
      out.emplace_back(*e);
    return out;
  }();
  SpawnOptions opts;
  opts.stdin_fd = spec.stdin_fd;
  opts.stdout_fd = spec.stdout_fd;
  opts.stderr_fd = spec.stderr_fd;
  opts.extra_fd = spec.notify_fd;
  opts.extra_fd_target = spec.notify_target;
  opts.new_session = true; // runsv calls setsid() for run and finish
  opts.cwd = spec.dir;
  opts.cwd_fd = spec.dir_fd;
  opts.path_search = false; // after the chdir, "./run" names the service's own program
  const SpawnResult r = spawn(spec.argv, env, opts);
  error = r.error;
  return r.pid;
}

bool has_regular_file(const std::string& dir, const char* name) {
  struct stat st {};
  return ::stat((dir + "/" + name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool has_regular_file_at(int dir_fd, const char* name) {
  struct stat st {};
  return ::fstatat(dir_fd, name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

} // namespace cinit::supervisor
