// Container setup reads top to bottom in the order the kernel needs (NOTES §1): user
// namespace and maps (in the clone), private mounts, network, hostname, overlay root, /proc,
// /dev, /sys, host files, binds, cinit, pivot_root, the image's user, exec. Everything that
// can fail for a user-visible reason (unknown image, bad -v, no cinit) is checked before the
// clone; an unknown image user can only be seen inside, after pivot_root.
#include "launcher/run/runtime.hpp"

#include "common/env.hpp"
#include "common/log.hpp"
#include "common/signals.hpp"
#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/gpu/gpu.hpp"
#include "launcher/run/idmap.hpp"
#include "launcher/run/mounts.hpp"
#include "launcher/run/namespaces.hpp"
#include "launcher/run/user.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace cinit::launcher {
namespace {

constexpr const char* image_cinit = "/sbin/cinit";
constexpr const char* default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Everything the container's first process needs, computed before the clone.
struct Plan {
  std::string mnt;        // tmpfs mount point (host path, in our private mount ns)
  std::string layers_dir; // lower dirs are relative to it
  std::vector<std::string> lowers_top_first;
  std::vector<BindSpec> binds; // host sources made absolute
  std::string hostname;
  bool own_netns = false;
  bool no_init = false;
  std::string launcher_cinit; // host path of our static cinit ("" if none found)
  std::string workdir;
  std::string user;                 // Docker's USER form, resolved inside the image; "" is root
  bool single_id = false;           // only the launcher's own uid/gid are mapped (no sub-ids)
  int launcher_pidfd = -1;          // ours (CLOEXEC), readable once we exit; -1 before Linux 5.3
  std::vector<std::string> command; // without cinit
  int pmi_fd = -1;                  // PMI-2's socket from slurmstepd, kept open for the command
  std::vector<std::string> env;
  GpuPlan gpu; // planned before the clone: a bad --gpus fails early, exit 125
  sigset_t child_mask{};
};

void bring_up_loopback() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid())
    throw SysError("unable to create a socket for", "lo", errno);
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, "lo", 3);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0)
    throw SysError("unable to read flags of", "lo", errno);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0)
    throw SysError("unable to bring up", "lo", errno);
}

std::string hostname_for(const std::string& image) {
  // Docker uses the container id; the image's base name tells more. [a-z0-9-], <= 63.
  std::string base = image.substr(image.rfind('/') + 1);
  base = base.substr(0, base.find(':'));
  std::string out;
  for (const char c : base) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
      out.push_back(c);
    else if (c >= 'A' && c <= 'Z')
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    else if (!out.empty() && out.back() != '-')
      out.push_back('-');
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  if (out.size() > 63)
    out.resize(63);
  return out.empty() ? "container" : out;
}

std::string launcher_cinit_path() {
  if (const char* env = std::getenv("LAUNCHER_CINIT"); env != nullptr && *env != '\0')
    return ::access(env, R_OK) == 0 ? env : "";
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return "";
  std::string self(buf, static_cast<std::size_t>(n));
  const std::string dir = self.substr(0, self.rfind('/') + 1);
  // Next to the launcher in a build tree; installed, PREFIX/bin/launcher finds
  // PREFIX/sbin/cinit (make install and the Debian packages lay them out so).
  for (const std::string& candidate : {dir + "cinit", dir + "../sbin/cinit"})
    if (::access(candidate.c_str(), R_OK) == 0)
      return candidate;
  return "";
}

// An image whose command already is an init (baseimage style: CMD ["/sbin/my_init"]) gets it
// as PID 1 as it is; wrapping it in a second cinit would boot the image twice.
bool is_init_command(const std::vector<std::string>& command) {
  if (command.empty())
    return false;
  const std::string& c = command[0];
  const std::string base = c.substr(c.rfind('/') + 1);
  return base == "cinit" || base == "my_init";
}

bool image_has_cinit(const std::string& root) {
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(
      static_cast<int>(::syscall(SYS_openat2, root_fd.get(), image_cinit + 1, &how, sizeof how)));
  struct stat st {};
  return fd.valid() && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) &&
         (st.st_mode & 0111) != 0;
}

void make_workdir(const std::string& dir) {
  std::string cur;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    cur = dir.substr(0, pos);
    if (!cur.empty() && ::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
      throw SysError("unable to create working directory", cur, errno);
  }
  if (::chdir(dir.c_str()) != 0)
    throw SysError("unable to enter working directory", dir, errno);
}

// The image's /etc/passwd or /etc/group: regular files only, never blocking (an image may
// make them FIFOs or links to /dev/zero), bounded; anything else reads as empty.
std::string image_account_file(const char* path) {
  return read_regular_file(path, std::size_t{16} << 20).value_or("");
}

// Takes on the container's user, read from the image's own files (we are past pivot_root).
// HOME comes from its passwd entry unless the image or -e set it. No USER: root as we are,
// HOME /root, and nothing read (the common case stays off the image's files).
void become_user(const Plan& p, std::vector<std::string>& env) {
  ContainerUser u;
  u.home = "/root";
  if (!p.user.empty())
    u = resolve_user(p.user, image_account_file("/etc/passwd"), image_account_file("/etc/group"));
  const auto is_home = [](const std::string& e) { return e.starts_with("HOME="); };
  if (std::none_of(env.begin(), env.end(), is_home))
    env.push_back("HOME=" + (!u.home.empty() ? u.home : u.uid == 0 ? "/root" : "/"));
  if (u.is_plain_root())
    return;
  if (p.single_id) {
    warn("user '" + p.user +
         "' is not mapped: without sub-id ranges only root (you) exists "
         "in the container; running as root");
    return;
  }
  // Supplementary groups first: after setresuid nothing may change them. With GPUs, the
  // host's groups stay instead: a host group (video) on the device nodes cannot be given
  // back once setgroups() has dropped it (it is not mapped here).
  if (p.gpu.enabled)
    warn("user '" + p.user +
         "': keeping the host's supplementary groups for the GPUs; the "
         "image's groups for this user are not set");
  else if (::setgroups(u.groups.size(), u.groups.data()) != 0)
    throw SysError("unable to set the supplementary groups of user", p.user, errno);
  if (::setresgid(u.gid, u.gid, u.gid) != 0)
    throw SysError("unable to become group " + std::to_string(u.gid) + " of user", p.user, errno);
  if (::setresuid(u.uid, u.uid, u.uid) != 0)
    throw SysError("unable to become user " + std::to_string(u.uid) + " of", p.user, errno);
  (void)::prctl(PR_SET_PDEATHSIG, SIGKILL); // a credential change clears it
  // If the launcher died before that took effect, nothing will kill us: check by its pidfd.
  pollfd pfd{p.launcher_pidfd, POLLIN, 0};
  if (p.launcher_pidfd >= 0 && ::poll(&pfd, 1, 0) > 0)
    ::_exit(125);
}

// Runs as the container's PID 1 (root in the new user namespace) until exec.
[[noreturn]] void container_main(const Plan& p) {
  make_mounts_private();
  if (p.own_netns)
    bring_up_loopback();
  if (::sethostname(p.hostname.data(), p.hostname.size()) != 0)
    throw SysError("unable to set hostname", p.hostname, errno);

  // Root: overlay of the image's layers with a fresh upper dir on a private tmpfs.
  mount_tmpfs(p.mnt, "mode=0755", 0);
  const std::string root = p.mnt + "/root";
  for (const char* d : {"/upper", "/work", "/root"})
    if (::mkdir((p.mnt + d).c_str(), 0755) != 0)
      throw SysError("unable to create directory", p.mnt + d, errno);
  mount_overlay(root, p.layers_dir, p.lowers_top_first, "../mnt/upper", "../mnt/work");

  if (!mount_proc(root))
    warn("unable to mount a fresh /proc (inside another container?): bound the current one");
  setup_dev(root);
  mount_sys(root, p.own_netns);

  // The host's name resolution, read-only (a container's writes must not reach the host).
  for (const char* f : {"/etc/resolv.conf", "/etc/hosts"})
    if (::access(f, R_OK) == 0)
      bind_into_root(root, f, f, {.read_only = true, .recursive = false});
  for (const auto& b : p.binds)
    bind_into_root(root, b.source, b.target, {.read_only = b.read_only, .recursive = true});
  // GPU: device nodes onto the /dev tmpfs, driver files read-only; the image's ldconfig
  // waits for pivot_root. With GPUs, nothing on this path calls setgroups() (become_user
  // included), so a host group (video) on the nodes still works.
  GpuMountResult gpu = mount_gpu(p.gpu, root);

  std::vector<std::string> argv;
  if (!p.no_init && !is_init_command(p.command)) {
    if (!image_has_cinit(root)) {
      if (p.launcher_cinit.empty())
        throw SysError("unable to find cinit: the image has no /sbin/cinit and none is next to "
                       "the launcher, in ../sbin or in $LAUNCHER_CINIT (or use --no-init)");
      bind_into_root(root, p.launcher_cinit, image_cinit, {.read_only = true, .recursive = false});
    }
    argv = {image_cinit};
    if (!p.command.empty()) // no command: cinit runs the image's services until stopped
      argv.push_back("--");
  }
  argv.insert(argv.end(), p.command.begin(), p.command.end());

  pivot_into(root);
  // Only now, with the host's tree out of reach, may the image's own code run.
  run_gpu_ldconfig(gpu, p.child_mask);
  std::vector<std::string> env = p.env;
  apply_gpu_env(env, gpu);
  make_workdir(p.workdir.empty() ? "/" : p.workdir);
  become_user(p, env); // last: everything above needs root

  // exec: argv and envp built here, after the last allocation-heavy step.
  std::vector<char*> cargv = c_strings(argv);
  std::vector<char*> cenv = c_strings(env);
  // Nothing of ours may leak into the container: every fd above 2 closes on exec.
  (void)::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC); // 5.11+; fds are CLOEXEC anyway
  // Except PMI_FD: slurmstepd's PMI-2 socket, which an MPI program in the image talks to
  // (cinit passes inherited fds on to its command).
  if (p.pmi_fd >= 0)
    (void)::fcntl(p.pmi_fd, F_SETFD, 0); // EBADF: it was not open; PMI fails as it would anyway
  environ = cenv.data();                 // execvp searches the container's PATH, not ours
  (void)::signal(SIGPIPE, SIG_DFL);      // main ignores it; the container must not inherit that
  if (::sigprocmask(SIG_SETMASK, &p.child_mask, nullptr) != 0)
    throw SysError("unable to restore the signal mask", {}, errno);
  ::execvp(cargv[0], cargv.data());
  const int err = errno;
  die_sys(err == ENOENT ? 127 : 126, err, "unable to execute '" + argv[0] + "'");
}

// Relays signals to the container's PID 1 until it exits; returns its status.
int supervise(pid_t pid, int sfd) {
  for (;;) {
    signalfd_siginfo si{};
    const ssize_t n = read_full(sfd, &si, sizeof si);
    if (n != static_cast<ssize_t>(sizeof si))
      throw SysError("unable to read signals", {}, errno);
    const int sig = static_cast<int>(si.ssi_signo);
    if (sig == SIGCHLD) {
      int status = 0;
      const pid_t r = retry_eintr([&] { return ::waitpid(pid, &status, WNOHANG); });
      if (r == pid)
        return shell_status(status);
      if (r < 0)
        throw SysError("unable to wait for the container", {}, errno);
      continue;
    }
    (void)::kill(pid, sig); // ESRCH: it is exiting; its SIGCHLD follows
  }
}

// PMI_FD (set by slurmstepd for --mpi=pmi2): the fd to keep open across the exec, or -1.
int inherited_pmi_fd(const char* const* host_environ) {
  const Env host = env_from_strings(host_environ);
  const auto it = host.find("PMI_FD");
  if (it == host.end() || it->second.empty() || it->second.size() > 6 ||
      !std::all_of(it->second.begin(), it->second.end(),
                   [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  const int fd = std::stoi(it->second);
  return fd > 2 && ::fcntl(fd, F_GETFD) >= 0 ? fd : -1;
}

} // namespace

bool is_job_variable(std::string_view name) {
  for (const std::string_view prefix : {"SLURM_", "SLURMD_", "PMI_", "PMIX_", "OMPI_"})
    if (name.starts_with(prefix))
      return true;
  return false;
}

std::vector<std::string> container_command(const ImageConfig& cfg,
                                           const std::vector<std::string>& cli_command) {
  std::vector<std::string> cmd = cfg.entrypoint;
  const auto& rest = cli_command.empty() ? cfg.cmd : cli_command;
  cmd.insert(cmd.end(), rest.begin(), rest.end());
  return cmd;
}

std::vector<std::string> container_env(const std::vector<std::string>& image_env,
                                       const std::vector<std::string>& cli_env,
                                       const std::string& hostname,
                                       const char* const* host_environ) {
  std::vector<const char*> img;
  for (const auto& e : image_env)
    img.push_back(e.c_str());
  img.push_back(nullptr);
  Env env = env_from_strings(img.data());
  env.try_emplace("PATH", default_path);
  env["HOSTNAME"] = hostname;
  const Env host = env_from_strings(host_environ);
  // A job's own variables (Slurm's, PMI's, Open MPI's) describe this task, not the image:
  // they win over the image's Env, and -e over them.
  for (const auto& [name, value] : host)
    if (is_job_variable(name))
      env[name] = value;
  for (const auto& e : cli_env) {
    const std::size_t eq = e.find('=');
    if (eq != std::string::npos) {
      env[e.substr(0, eq)] = e.substr(eq + 1);
    } else if (const auto it = host.find(e); it != host.end()) {
      env[e] = it->second;
    }
  }
  return env_to_strings(env);
}

int run_container(const Store& store, const Config& cfg, const RunOptions& opts) {

  const auto image = store.load_image(opts.image);
  if (!image)
    throw SysError("unable to find image '" + opts.image + "' (see 'launcher images')");
  Plan p;
  p.mnt = store.mnt_dir();
  p.layers_dir = store.layers_dir();
  // Held until the container is gone: `launcher rm` keeps what a container runs on.
  const std::vector<UniqueFd> pins = store.pin_layers(image->layers);
  p.lowers_top_first.assign(image->layers.rbegin(), image->layers.rend());
  std::vector<std::string> specs = cfg.binds;
  specs.insert(specs.end(), opts.volumes.begin(), opts.volumes.end());
  for (const auto& s : specs) {
    BindSpec b = parse_bind(s, "volume");
    char* real = ::realpath(b.source.c_str(), nullptr);
    if (real == nullptr)
      throw SysError("unable to bind", b.source, errno);
    b.source = real;
    std::free(real);
    p.binds.push_back(std::move(b));
  }
  p.hostname = opts.hostname.empty() ? hostname_for(image->name) : opts.hostname;
  p.own_netns = opts.net == "none";
  p.no_init = opts.no_init;
  if (!p.no_init)
    p.launcher_cinit = launcher_cinit_path();
  p.workdir = opts.workdir.empty() ? image->config.working_dir : opts.workdir;
  p.user = opts.user.empty() ? image->config.user : opts.user;
  p.command = container_command(image->config, opts.command);
  if (p.command.empty() && p.no_init)
    throw SysError("unable to run '" + opts.image + "': no command given and the image has none");
  p.env = container_env(image->config.env, opts.env, p.hostname, environ);
  p.gpu = plan_gpu(gpu_request(opts.gpus, cfg.gpus, p.env, environ));
  apply_slurm_gpu_env(p.env, p.gpu);
  p.pmi_fd = inherited_pmi_fd(environ);

  const IdMapPlan idmap = plan_id_map();
  p.single_id = !idmap.sub_ids;
  if (!idmap.sub_ids)
    store.warn_once("no-subids", "no /etc/subuid and /etc/subgid range for '" + idmap.user +
                                     "': mapping the user alone to root; images with other "
                                     "users will not work fully");

  // Signals are blocked before the clone so that none is lost between it and the loop.
  sigset_t set;
  forwarded_signals(set);
  sigaddset(&set, SIGCHLD);
  BlockSignals blocked(set);
  p.child_mask = blocked.previous();
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC));
  if (!sfd.valid())
    throw SysError("unable to create a signalfd", {}, errno);

  const UniqueFd self(static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0U)));
  p.launcher_pidfd = self.get();
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  if (p.own_netns)
    flags |= CLONE_NEWNET;
  const pid_t pid = spawn_in_userns(flags, idmap, [&]() -> int { container_main(p); });
  return supervise(pid, sfd.get());
}

} // namespace cinit::launcher
