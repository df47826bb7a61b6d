// GPU discovery: turns --gpus / NVIDIA_VISIBLE_DEVICES / NVIDIA_DRIVER_CAPABILITIES and the
// host's driver state into a GpuPlan. Reads only; every path is taken under the host root, so
// that tests run against a fake tree ($LAUNCHER_HOST_ROOT). The mounting is gpu_mount.cpp.
#include "launcher/gpu/gpu.hpp"

#include "common/ascii.hpp"
#include "common/log.hpp"
#include "common/syscall.hpp"
#include "launcher/error.hpp"
#include "launcher/gpu/gres.hpp"
#include "launcher/gpu/ldcache.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <set>
#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace cinit::launcher {

namespace {

struct CapName {
  std::string_view name;
  unsigned bit;
};
constexpr CapName cap_names[] = {
    {"utility", gpu_cap_utility},   {"compute", gpu_cap_compute}, {"video", gpu_cap_video},
    {"graphics", gpu_cap_graphics}, {"display", gpu_cap_display}, {"compat32", gpu_cap_compat32},
    {"ngx", gpu_cap_ngx},
};

// Driver libraries per capability, by the name before ".so" (NOTES.md §2, the lists
// libnvidia-container uses). Plain libGL/libEGL are not here: only NVIDIA's GLVND vendor
// libraries, so the image's own GL dispatch stays in charge.
struct LibSet {
  unsigned cap;
  std::string_view names[16];
};
constexpr LibSet lib_sets[] = {
    {gpu_cap_utility, {"libnvidia-ml", "libnvidia-cfg", "libnvidia-nscq"}},
    {gpu_cap_compute,
     {"libcuda", "libcudadebugger", "libnvidia-opencl", "libnvidia-gpucomp",
      "libnvidia-ptxjitcompiler", "libnvidia-fatbinaryloader", "libnvidia-allocator",
      "libnvidia-compiler", "libnvidia-pkcs11", "libnvidia-pkcs11-openssl3", "libnvidia-nvvm",
      "libnvidia-tileiras"}},
    {gpu_cap_video, {"libvdpau_nvidia", "libnvidia-encode", "libnvidia-opticalflow", "libnvcuvid"}},
    {gpu_cap_graphics,
     {"libnvidia-eglcore", "libnvidia-glcore", "libnvidia-tls", "libnvidia-glsi", "libnvidia-fbc",
      "libnvidia-ifr", "libnvidia-rtcore", "libnvoptix", "libGLX_nvidia", "libEGL_nvidia",
      "libGLESv2_nvidia", "libGLESv1_CM_nvidia", "libnvidia-glvkspirv", "libnvidia-cbl",
      "libnvidia-gpucomp"}},
    {gpu_cap_ngx, {"libnvidia-ngx"}},
};

struct BinSet {
  unsigned cap;
  std::string_view names[4];
};
constexpr BinSet bin_sets[] = {
    {gpu_cap_utility, {"nvidia-smi", "nvidia-debugdump", "nvidia-persistenced"}},
    {gpu_cap_compute, {"nvidia-cuda-mps-control", "nvidia-cuda-mps-server"}},
};

// Development links some programs dlopen by (libnvidia-container makes the same ones).
struct DevLink {
  unsigned cap;
  std::string_view link;
  std::string_view soname;
};
constexpr DevLink dev_links[] = {
    {gpu_cap_compute, "libcuda.so", "libcuda.so.1"},
    {gpu_cap_video, "libnvidia-opticalflow.so", "libnvidia-opticalflow.so.1"},
    {gpu_cap_graphics, "libGLX_indirect.so.0", "libGLX_nvidia.so.0"},
};

// Vendor files the GL/Vulkan loaders look for.
constexpr std::string_view graphics_files[] = {
    "/usr/share/glvnd/egl_vendor.d/10_nvidia.json",
    "/usr/share/vulkan/icd.d/nvidia_icd.json",
    "/etc/vulkan/icd.d/nvidia_icd.json",
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(sep, start);
    if (end == std::string_view::npos)
      end = s.size();
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string effective_root(const std::string& host_root) {
  std::string root = host_root;
  if (root.empty()) {
    const char* env = std::getenv("LAUNCHER_HOST_ROOT");
    root = env != nullptr ? env : "";
  }
  while (!root.empty() && root.back() == '/')
    root.pop_back();
  return root; // "" is the real root
}

// Resolves `path` (absolute, as the host sees it) under `root`, following symlinks as if
// `root` were "/": an absolute link target restarts at `root`, ".." stops there. Returns the
// full path (root included) of what it names, or nullopt if it does not exist.
std::optional<std::string> resolve_host(const std::string& root, std::string_view path) {
  std::vector<std::string> todo = split(path, '/');
  std::reverse(todo.begin(), todo.end());
  std::string cur;
  int links = 0;
  while (!todo.empty()) {
    std::string comp = std::move(todo.back());
    todo.pop_back();
    if (comp.empty() || comp == ".")
      continue;
    if (comp == "..") {
      cur.erase(cur.empty() ? 0 : cur.rfind('/'));
      continue;
    }
    std::string next = cur + "/" + comp;
    struct stat st {};
    if (lstat((root + next).c_str(), &st) != 0)
      return std::nullopt;
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40) // the kernel's own limit (ELOOP)
        return std::nullopt;
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlink((root + next).c_str(), target.data(), target.size());
      if (n < 0 || static_cast<std::size_t>(n) >= target.size())
        return std::nullopt;
      target.resize(static_cast<std::size_t>(n));
      if (!target.empty() && target.front() == '/')
        cur.clear();
      std::vector<std::string> parts = split(target, '/');
      for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        todo.push_back(std::move(*it));
      continue;
    }
    cur = std::move(next);
  }
  return root + (cur.empty() ? "/" : cur);
}

bool is_kind(const std::string& path, mode_t type) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && (st.st_mode & S_IFMT) == type;
}

std::string basename_of(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string stem_of(std::string_view soname) {
  std::size_t dot = soname.find(".so");
  return std::string(soname.substr(0, dot));
}

// The device nodes for the selected GPUs and capabilities. A node the selection needs but the
// host lacks is an error; optional ones (uvm, modeset, caps) are bound when present.
void plan_devices(GpuPlan& plan, const std::string& root, const std::string& what) {
  auto add = [&](const std::string& node, bool required) {
    std::string host = root + node;
    struct stat st {};
    if (stat(host.c_str(), &st) != 0) {
      if (required)
        throw SysError(what + ": no device node " + node + " (is the NVIDIA driver loaded?)");
      return;
    }
    plan.binds.push_back({host, node, GpuBind::Kind::device});
  };
  add("/dev/nvidiactl", true);
  for (const GpuDevice& gpu : plan.gpus)
    add("/dev/nvidia" + std::to_string(gpu.minor), true);
  if ((plan.caps & gpu_cap_compute) != 0) {
    add("/dev/nvidia-uvm", false);
    add("/dev/nvidia-uvm-tools", false);
  }
  if ((plan.caps & gpu_cap_display) != 0)
    add("/dev/nvidia-modeset", false);
  // TODO(security): MIG instances are not selectable yet; every cap node present is bound,
  // and the driver's own permissions on them still apply.
  if (std::optional<std::vector<std::string>> caps = list_dir(root + "/dev/nvidia-caps"))
    for (const std::string& name : *caps)
      add("/dev/nvidia-caps/" + name, false);
}

void plan_libraries(GpuPlan& plan, const std::string& root) {
  std::vector<LdCacheEntry> cache = read_ld_cache(root + "/etc/ld.so.cache");
  std::set<std::string> wanted;
  for (const LibSet& set : lib_sets)
    if ((plan.caps & set.cap) != 0)
      for (std::string_view name : set.names)
        if (!name.empty())
          wanted.emplace(name);
  std::string suffix = ".so." + plan.driver_version;
  std::set<std::string> targets;
  std::set<std::string> links;
  bool have32 = false;
  for (const LdCacheEntry& e : cache) {
    bool native = ld_entry_is_native(e);
    bool compat32 = (plan.caps & gpu_cap_compat32) != 0 && ld_entry_is_compat32(e);
    if ((!native && !compat32) || wanted.count(stem_of(e.soname)) == 0)
      continue;
    std::optional<std::string> real = resolve_host(root, e.path);
    if (!real || !is_kind(*real, S_IFREG))
      continue;
    // Only the running driver's own files: a host may keep another version's libraries
    // around (an upgrade without reboot), which would fail against this kernel module.
    std::string file = basename_of(*real);
    if (file.size() < suffix.size() ||
        file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string dir = native ? gpu_lib64_dir : gpu_lib32_dir;
    have32 = have32 || !native;
    std::string target = dir + "/" + file;
    if (targets.insert(target).second)
      plan.binds.push_back({*real, target, GpuBind::Kind::file});
    std::string link = dir + "/" + e.soname;
    if (e.soname != file && links.insert(link).second)
      plan.symlinks.push_back({link, file});
  }
  for (const DevLink& d : dev_links) {
    if ((plan.caps & d.cap) == 0)
      continue;
    for (const char* dir : {gpu_lib64_dir, gpu_lib32_dir}) {
      std::string so = std::string(dir) + "/" + std::string(d.soname);
      std::string link = std::string(dir) + "/" + std::string(d.link);
      if (links.count(so) != 0 && links.insert(link).second)
        plan.symlinks.push_back({link, std::string(d.soname)});
    }
  }
  if (!targets.empty())
    plan.lib_dirs.emplace_back(gpu_lib64_dir);
  if (have32)
    plan.lib_dirs.emplace_back(gpu_lib32_dir);
  if ((plan.caps & gpu_cap_compute) != 0 &&
      links.count(std::string(gpu_lib64_dir) + "/libcuda.so.1") == 0)
    warn("no libcuda.so.1 of driver " + plan.driver_version + " in " + root +
         "/etc/ld.so.cache: CUDA will not work in the container");
}

void plan_binaries(GpuPlan& plan, const std::string& root, const std::string& host_path) {
  std::string path = host_path.empty() ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                                         "/sbin:/bin"
                                       : host_path;
  std::vector<std::string> dirs = split(path, ':');
  for (const BinSet& set : bin_sets) {
    if ((plan.caps & set.cap) == 0)
      continue;
    for (std::string_view name : set.names) {
      if (name.empty())
        continue;
      for (const std::string& dir : dirs) {
        if (dir.empty() || dir.front() != '/')
          continue; // a relative PATH entry means the launcher's cwd, not the host's tree
        std::optional<std::string> real = resolve_host(root, dir + "/" + std::string(name));
        if (real && is_kind(*real, S_IFREG) && access(real->c_str(), X_OK) == 0) {
          plan.binds.push_back({*real, "/usr/bin/" + std::string(name), GpuBind::Kind::file});
          break;
        }
      }
    }
  }
}

// Firmware, IPC endpoints and loader files: bound where the host has them.
void plan_extras(GpuPlan& plan, const std::string& root) {
  auto add = [&](const std::string& path, GpuBind::Kind kind, mode_t type) {
    std::optional<std::string> real = resolve_host(root, path);
    if (real && is_kind(*real, type))
      plan.binds.push_back({*real, path, kind});
  };
  add("/lib/firmware/nvidia/" + plan.driver_version, GpuBind::Kind::dir, S_IFDIR);
  if (plan.gpus.empty())
    return; // without a device the daemons' endpoints are of no use
  if ((plan.caps & gpu_cap_utility) != 0)
    add("/var/run/nvidia-persistenced/socket", GpuBind::Kind::file, S_IFSOCK);
  if ((plan.caps & gpu_cap_compute) != 0) {
    const char* mps = std::getenv("CUDA_MPS_PIPE_DIRECTORY");
    // MPS clients open the daemon's pipes for writing: this one bind is read-write.
    add(mps != nullptr && mps[0] == '/' ? mps : "/tmp/nvidia-mps", GpuBind::Kind::dir_rw, S_IFDIR);
  }
  if ((plan.caps & gpu_cap_graphics) != 0)
    for (std::string_view f : graphics_files)
      add(std::string(f), GpuBind::Kind::file, S_IFREG);
}

std::vector<GpuDevice> select_gpus(const std::vector<GpuDevice>& all, const std::string& sel,
                                   const std::string& what) {
  if (sel == "all") {
    if (all.empty())
      throw SysError(what + ": no NVIDIA GPU found");
    return all;
  }
  std::vector<GpuDevice> out;
  for (const std::string& raw : split(sel, ',')) {
    std::string tok(trim(raw));
    const GpuDevice* found = nullptr;
    bool is_index = all_digits(tok) && tok.size() < 9;
    unsigned index = is_index ? static_cast<unsigned>(std::stoul(tok)) : 0;
    for (const GpuDevice& gpu : all)
      if (is_index ? gpu.index == index
                   : (!gpu.uuid.empty() && ascii_lower(gpu.uuid) == ascii_lower(tok)))
        found = &gpu;
    if (found == nullptr) {
      std::string have =
          all.empty() ? "the host has none" : "the host has 0-" + std::to_string(all.size() - 1);
      if (tok.rfind("MIG-", 0) == 0)
        throw SysError(what + ": MIG devices are not supported yet ('" + tok + "')");
      throw SysError(what + ": unknown GPU '" + tok + "' (" + have + ")");
    }
    bool dup = std::any_of(out.begin(), out.end(),
                           [&](const GpuDevice& g) { return g.minor == found->minor; });
    if (!dup)
      out.push_back(*found);
  }
  return out;
}

// One GPU of a Slurm node: the device file Slurm knows it by, and the driver's GPU.
struct NodeGpu {
  std::string file;
  GpuDevice gpu;
};

// The node's GPUs in Slurm's order: position i is the i-th File= of the node's gres.conf,
// whose minor (from its name, /dev/nvidiaN, else from the node itself) names the driver's
// GPU. Without File= lines (AutoDetect), Slurm numbers GPUs as the driver does.
std::vector<NodeGpu> slurm_node_gpus(const std::vector<GpuDevice>& all, const SlurmGpus& s,
                                     const std::string& root, const std::string& what) {
  std::vector<std::string> files;
  if (std::optional<std::string> text = read_file(s.gres_conf))
    files = gres_gpu_files(*text, s.node, s.gres_conf);
  else if (errno != ENOENT)
    throw SysError("unable to read", s.gres_conf, errno);
  std::vector<NodeGpu> out;
  if (files.empty()) {
    for (const GpuDevice& gpu : all)
      out.push_back({root + "/dev/nvidia" + std::to_string(gpu.minor), gpu});
    return out;
  }
  for (const std::string& file : files) {
    const std::string base = basename_of(file);
    std::optional<unsigned> minor;
    if (base.rfind("nvidia", 0) == 0 && all_digits(base.substr(6)) && base.size() < 15)
      minor = static_cast<unsigned>(std::stoul(base.substr(6)));
    else if (struct stat st{}; ::stat(file.c_str(), &st) == 0 && S_ISCHR(st.st_mode))
      minor = ::minor(st.st_rdev);
    if (!minor)
      throw SysError(what + ": node " + s.node + "'s GPU '" + file +
                         "' is not an NVIDIA device, in",
                     s.gres_conf);
    auto it =
        std::find_if(all.begin(), all.end(), [&](const GpuDevice& g) { return g.minor == *minor; });
    if (it == all.end())
      throw SysError(what + ": the driver has no GPU for '" + file + "' of node " + s.node + ", in",
                     s.gres_conf);
    out.push_back({file, *it});
  }
  return out;
}

// Whether a devices cgroup (Slurm's ConstrainDevices) denies this task `file`: open(2) then
// fails with EPERM, before any driver code runs.
bool denied_by_cgroup(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return false;
  }
  return errno == EPERM;
}

// Slurm's positions -> the host's GPUs. Under ConstrainDevices with per-task binding
// (--gpus-per-task), Slurm 22.05 numbers a task's GPUs from 0 among its own (task 1's only
// GPU, position 1, is "0"): a mapped GPU that the task's devices cgroup denies shows that, and
// then the cgroup's grant, in the node's order, is the allocation.
std::vector<GpuDevice> select_slurm_gpus(const std::vector<GpuDevice>& all, const SlurmGpus& s,
                                         const std::string& root) {
  const std::string what = s.variable + "=" + s.positions;
  const std::vector<NodeGpu> node = slurm_node_gpus(all, s, root, what);
  std::vector<const NodeGpu*> chosen;
  for (const std::string& raw : split(s.positions, ',')) {
    const std::string tok(trim(raw));
    if (tok.empty())
      continue;
    if (!all_digits(tok) || tok.size() > 6)
      throw SysError(what + ": '" + tok + "' is not a GPU number");
    const auto pos = static_cast<std::size_t>(std::stoul(tok));
    if (pos >= node.size())
      throw SysError(what + ": node " + s.node + " has " + std::to_string(node.size()) + " GPUs in",
                     s.gres_conf);
    if (std::find(chosen.begin(), chosen.end(), &node[pos]) == chosen.end())
      chosen.push_back(&node[pos]);
  }
  if (std::any_of(chosen.begin(), chosen.end(),
                  [](const NodeGpu* g) { return denied_by_cgroup(g->file); })) {
    chosen.clear();
    for (const NodeGpu& g : node)
      if (!denied_by_cgroup(g.file))
        chosen.push_back(&g);
  }
  std::vector<GpuDevice> out;
  for (const NodeGpu* g : chosen)
    out.push_back(g->gpu);
  return out;
}

} // namespace

std::vector<unsigned> parse_version(const std::string& v) {
  std::vector<unsigned> out;
  for (const std::string& part : split(v, '.')) {
    if (!all_digits(part) || part.size() > 9)
      return {};
    out.push_back(static_cast<unsigned>(std::stoul(part)));
  }
  return out;
}

GpuRequest gpu_request(const std::string& gpus_flag, const std::string& gpus_default,
                       const std::vector<std::string>& env, const char* const* host_environ) {
  GpuRequest req;
  for (const std::string& e : env) {
    std::size_t eq = e.find('=');
    std::string_view name = std::string_view(e).substr(0, eq);
    if (eq == std::string::npos)
      continue;
    if (name == "NVIDIA_VISIBLE_DEVICES")
      req.visible_devices = e.substr(eq + 1);
    else if (name == "NVIDIA_DRIVER_CAPABILITIES")
      req.driver_capabilities = e.substr(eq + 1);
  }
  if (!gpus_flag.empty()) {
    req.gpus = gpus_flag;
    return req;
  }
  std::optional<std::string> node, job, step_gpus, job_gpus, conf;
  for (const char* const* p = host_environ; p != nullptr && *p != nullptr; ++p) {
    const std::string_view e = *p;
    const std::size_t eq = e.find('=');
    if (eq == std::string_view::npos)
      continue;
    const std::string_view name = e.substr(0, eq);
    std::string value(e.substr(eq + 1));
    if (name == "SLURMD_NODENAME")
      node = value;
    else if (name == "SLURM_JOB_ID")
      job = value;
    else if (name == "SLURM_STEP_GPUS")
      step_gpus = value;
    else if (name == "SLURM_JOB_GPUS")
      job_gpus = value;
    else if (name == "SLURM_CONF")
      conf = value;
  }
  // SLURMD_NODENAME: a task or batch script on a node, not an salloc shell on a login node.
  if (node && job && !node->empty()) {
    SlurmGpus s;
    s.node = *node;
    s.variable = step_gpus ? "SLURM_STEP_GPUS" : job_gpus ? "SLURM_JOB_GPUS" : "";
    s.positions = step_gpus ? *step_gpus : job_gpus ? *job_gpus : "";
    const std::string slurm_conf = conf && !conf->empty() ? *conf : "/etc/slurm/slurm.conf";
    s.gres_conf = slurm_conf.substr(0, slurm_conf.rfind('/') + 1) + "gres.conf";
    req.slurm = std::move(s);
  } else if (!gpus_default.empty()) {
    req.gpus = gpus_default;
  }
  return req;
}

unsigned parse_gpu_caps(const std::optional<std::string>& list) {
  if (!list || trim(*list).empty())
    return gpu_caps_default;
  unsigned caps = 0;
  for (const std::string& raw : split(*list, ',')) {
    std::string_view name = trim(raw);
    if (name.empty())
      continue;
    if (name == "all") {
      caps |= gpu_caps_all;
      continue;
    }
    auto it = std::find_if(std::begin(cap_names), std::end(cap_names),
                           [&](const CapName& c) { return c.name == name; });
    if (it == std::end(cap_names))
      throw SysError("NVIDIA_DRIVER_CAPABILITIES: unknown capability '" + std::string(name) +
                     "' (known: utility compute video graphics display compat32 ngx all)");
    caps |= it->bit;
  }
  return caps;
}

std::optional<std::string> driver_version(const std::string& host_root) {
  std::string root = effective_root(host_root);
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 ..." (also "Open
  // Kernel Module for x86_64"): the first dotted number on the first line.
  if (std::optional<std::string> text = read_file(root + "/proc/driver/nvidia/version")) {
    std::string_view line = *text;
    line = line.substr(0, line.find('\n'));
    for (const std::string& tok : split(line, ' '))
      if (tok.find('.') != std::string::npos && parse_version(tok).size() >= 2)
        return tok;
  }
  if (std::optional<std::string> text = read_file(root + "/sys/module/nvidia/version")) {
    std::string tok(trim(*text));
    if (parse_version(tok).size() >= 2)
      return tok;
  }
  return std::nullopt;
}

std::vector<GpuDevice> list_gpus(const std::string& host_root) {
  std::string root = effective_root(host_root);
  std::vector<GpuDevice> out;
  std::string dir = root + "/proc/driver/nvidia/gpus";
  if (std::optional<std::vector<std::string>> buses = list_dir(dir)) {
    // Bus ids ("0000:3b:00.0", lower-case hex, fixed width) sort bytewise into PCI order,
    // which is the order nvidia-smi and NVIDIA_VISIBLE_DEVICES number GPUs in.
    for (const std::string& bus : *buses) {
      std::optional<std::string> info = read_file(dir + "/" + bus + "/information");
      if (!info)
        continue;
      GpuDevice gpu;
      gpu.bus_id = bus;
      bool have_minor = false;
      for (const std::string& line : split(*info, '\n')) {
        std::size_t colon = line.find(':');
        if (colon == std::string::npos)
          continue;
        std::string_view key = trim(std::string_view(line).substr(0, colon));
        std::string value(trim(std::string_view(line).substr(colon + 1)));
        if (key == "Model")
          gpu.model = value;
        else if (key == "GPU UUID")
          gpu.uuid = value;
        else if (key == "Device Minor" && all_digits(value) && value.size() < 9) {
          gpu.minor = static_cast<unsigned>(std::stoul(value));
          have_minor = true;
        }
      }
      if (!have_minor)
        continue; // not a GPU we could bind (no /dev/nvidiaN to name)
      gpu.index = static_cast<unsigned>(out.size());
      out.push_back(std::move(gpu));
    }
    return out;
  }
  // No /proc/driver/nvidia/gpus (a stripped-down host): the nodes themselves, by minor.
  std::vector<unsigned> minors;
  if (std::optional<std::vector<std::string>> names = list_dir(root + "/dev"))
    for (const std::string& name : *names)
      if (name.rfind("nvidia", 0) == 0 && all_digits(name.substr(6)) && name.size() < 15)
        minors.push_back(static_cast<unsigned>(std::stoul(name.substr(6))));
  std::sort(minors.begin(), minors.end());
  for (unsigned m : minors) {
    GpuDevice gpu;
    gpu.index = static_cast<unsigned>(out.size());
    gpu.minor = m;
    out.push_back(std::move(gpu));
  }
  return out;
}

GpuPlan plan_gpu(const GpuRequest& req, const std::string& host_root,
                 const std::string& host_path) {
  GpuPlan plan;
  std::string sel;
  std::string what;
  if (req.gpus) {
    sel = std::string(trim(*req.gpus));
    what = "--gpus " + sel;
  } else if (req.slurm) {
    // The allocation, and nothing else: an image's NVIDIA_VISIBLE_DEVICES=all must not reach
    // GPUs of other jobs.
    sel = req.slurm->positions;
    what = req.slurm->variable + "=" + sel;
  } else if (req.visible_devices) {
    sel = std::string(trim(*req.visible_devices));
    what = "NVIDIA_VISIBLE_DEVICES=" + sel;
  }
  if (sel.empty() || sel == "void" || (req.gpus && sel == "none"))
    return plan;
  plan.caps = parse_gpu_caps(req.driver_capabilities);
  std::string root = effective_root(host_root);
  std::optional<std::string> version = driver_version(root);
  if (!version) {
    std::string msg =
        what + ": no NVIDIA driver found (no " + root + "/proc/driver/nvidia/version)";
    if (!req.gpus) {
      // Only the image asked (CUDA images set NVIDIA_VISIBLE_DEVICES=all), or Slurm gave
      // GPUs of another vendor (gres "gpu" covers AMD's too): run without an NVIDIA GPU.
      warn(msg + ": running without GPU");
      return plan;
    }
    throw SysError(msg);
  }
  plan.enabled = true;
  plan.driver_version = *version;
  if (req.slurm && !req.gpus) {
    plan.from_slurm = true;
    plan.gpus = select_slurm_gpus(list_gpus(root), *req.slurm, root);
    plan_devices(plan, root, what);
  } else if (sel != "none") {
    plan.gpus = select_gpus(list_gpus(root), sel, what);
    plan_devices(plan, root, what);
  }
  plan_libraries(plan, root);
  plan_binaries(plan, root, host_path);
  plan_extras(plan, root);
  return plan;
}

void apply_slurm_gpu_env(std::vector<std::string>& env, const GpuPlan& plan) {
  if (!plan.enabled || !plan.from_slurm)
    return;
  std::string ids;
  for (std::size_t i = 0; i < plan.gpus.size(); ++i)
    ids += (i == 0 ? "" : ",") + std::to_string(i);
  for (const char* name :
       {"CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL"}) {
    const std::string prefix = std::string(name) + "=";
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
    env.push_back(prefix + ids);
  }
}

} // namespace cinit::launcher
