// GPU discovery and mounting against fake host trees built here: fake device files, fake
// driver libraries and a linker cache, /proc/driver/nvidia. The mount cases run mount_gpu in a
// real user + mount namespace over a real overlay root and look from inside it (busybox and
// the image's ldconfig, chrooted), as the container will.
#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/gpu/gpu.hpp"
#include "launcher/gpu/ldcache.hpp"
#include "tests/unit/common/temp_dir.hpp"

#include <algorithm>
#include <catch.hpp>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using cinit::launcher::GpuBind;
using cinit::launcher::GpuPlan;
using cinit::launcher::GpuRequest;
using cinit::launcher::LdCacheEntry;
using cinit::launcher::plan_gpu;
using cinit::launcher::SysError;
using cinit::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr const char* version = "550.54.14";
constexpr const char* lib64 = "/usr/lib/x86_64-linux-gnu";
constexpr const char* lib32 = "/usr/lib/i386-linux-gnu";
constexpr const char* uuid0 = "GPU-11111111-2222-3333-4444-555555555555";
constexpr const char* uuid1 = "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

void put(const std::string& path, const std::string& text, mode_t mode = 0644) {
  fs::create_directories(fs::path(path).parent_path());
  REQUIRE(cinit::write_file_atomic(path, text, mode));
}

// A host with two GPUs whose minors are not their indices (bus 0000:3b has minor 1, bus
// 0000:af minor 0), the driver's libraries (and a stale older libnvidia-ml), binaries,
// firmware, and a persistenced socket.
struct FakeHost {
  TempDir dir;
  std::string root = dir.path();
  std::vector<LdCacheEntry> cache;
  cinit::UniqueFd socket_fd;

  explicit FakeHost(bool with_socket = true) {
    ::chmod(root.c_str(), 0755);
    put(root + "/proc/driver/nvidia/version",
        std::string("NVRM version: NVIDIA UNIX x86_64 Kernel Module  ") + version +
            "  Thu Feb 22 01:44:30 UTC 2024\nGCC version:  gcc version 12.2.0\n");
    put(root + "/proc/driver/nvidia/params",
        "ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 1\nDeviceFileUID: 0\n");
    gpu("0000:3b:00.0", 1, uuid0, "NVIDIA H100 80GB HBM3");
    gpu("0000:af:00.0", 0, uuid1, "NVIDIA A100-SXM4-40GB");
    for (const char* node :
         {"nvidiactl", "nvidia0", "nvidia1", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset",
          "nvidia-caps/nvidia-cap1", "nvidia-caps/nvidia-cap2"})
      put(root + "/dev/" + node, std::string("device ") + node + "\n", 0666);
    for (const char* name :
         {"libcuda", "libnvidia-ml", "libnvidia-ptxjitcompiler", "libnvidia-encode", "libnvcuvid",
          "libGLX_nvidia", "libnvidia-glcore", "libnvidia-opticalflow", "libnvidia-ngx"}) {
      std::string soname =
          std::string(name) + (std::string(name) == "libGLX_nvidia" ? ".so.0" : ".so.1");
      lib(lib64, name, soname, version, 0x0303);
    }
    lib(lib32, "libcuda", "libcuda.so.1", version, 0x0003);
    // A leftover of the previous driver, first in the cache: must be skipped by version.
    lib(lib64, "libnvidia-cfg", "libnvidia-cfg.so.1", "535.104.05", 0x0303);
    // An unrelated library: never bound.
    lib(lib64, "libz", "libz.so.1", "1.2.13", 0x0303);
    write_cache();
    put(root + "/usr/bin/nvidia-smi", "#!/bin/sh\necho smi\n", 0755);
    put(root + "/usr/bin/nvidia-debugdump", "x", 0755);
    put(root + "/usr/bin/nvidia-cuda-mps-control", "x", 0755);
    put(root + "/usr/bin/nvidia-persistenced", "not executable", 0644);
    put(root + std::string("/usr/lib/firmware/nvidia/") + version + "/gsp_ga10x.bin", "fw");
    fs::create_symlink("usr/lib", root + "/lib");
    put(root + "/usr/share/glvnd/egl_vendor.d/10_nvidia.json", "{}");
    if (with_socket) {
      fs::create_directories(root + "/run/nvidia-persistenced");
      fs::create_directories(root + "/var");
      fs::create_symlink("/run", root + "/var/run");
      socket_fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::string p = root + "/run/nvidia-persistenced/socket";
      REQUIRE(p.size() < sizeof addr.sun_path);
      p.copy(addr.sun_path, p.size());
      REQUIRE(::bind(socket_fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    }
  }

  void gpu(const std::string& bus, int minor, const std::string& uuid, const std::string& model) {
    put(root + "/proc/driver/nvidia/gpus/" + bus + "/information",
        "Model: \t\t " + model + "\nIRQ:   \t\t 42\nGPU UUID: \t " + uuid +
            "\nVideo BIOS: \t 96.00.74.00.01\nBus Type: \t PCIe\nDMA Size: \t 52 bits\n"
            "Device Minor: \t " +
            std::to_string(minor) + "\nBus Location: \t " + bus + "\n");
  }

  // The real file NAME.so.VER, the soname symlink to it (as ldconfig makes), a cache entry.
  void lib(const std::string& libdir, const std::string& name, const std::string& soname,
           const std::string& ver, std::int32_t flags) {
    std::string file = name + ".so." + ver;
    put(root + libdir + "/" + file, name + " " + ver + (flags == 0x0003 ? " i386" : "") + "\n");
    fs::create_symlink(file, root + libdir + "/" + soname);
    cache.push_back({soname, libdir + "/" + soname, flags, 0});
  }

  void write_cache() {
    std::rotate(cache.begin(), cache.end() - 2, cache.end()); // the stale lib goes first
    put(root + "/etc/ld.so.cache", cinit::launcher::write_ld_cache(cache));
  }
};

GpuRequest gpus(const std::string& sel, std::optional<std::string> caps = std::nullopt) {
  GpuRequest r;
  r.gpus = sel;
  r.driver_capabilities = std::move(caps);
  return r;
}

GpuRequest env(const std::string& visible, std::optional<std::string> caps = std::nullopt) {
  GpuRequest r;
  r.visible_devices = visible;
  r.driver_capabilities = std::move(caps);
  return r;
}

std::vector<std::string> targets(const GpuPlan& p, GpuBind::Kind kind) {
  std::vector<std::string> v;
  for (const GpuBind& b : p.binds)
    if (b.kind == kind)
      v.push_back(b.target);
  std::sort(v.begin(), v.end());
  return v;
}

bool has_target(const GpuPlan& p, const std::string& target) {
  return std::any_of(p.binds.begin(), p.binds.end(),
                     [&](const GpuBind& b) { return b.target == target; });
}

const GpuBind* find_target(const GpuPlan& p, const std::string& target) {
  for (const GpuBind& b : p.binds)
    if (b.target == target)
      return &b;
  return nullptr;
}

std::string link_of(const GpuPlan& p, const std::string& path) {
  for (const auto& l : p.symlinks)
    if (l.path == path)
      return l.target;
  return {};
}

using Strings = std::vector<std::string>;

} // namespace

TEST_CASE("gpu: no selection, void or empty means no GPU at all") {
  FakeHost h;
  CHECK_FALSE(plan_gpu(GpuRequest{}, h.root).enabled);
  CHECK_FALSE(plan_gpu(env("void"), h.root).enabled);
  CHECK_FALSE(plan_gpu(env(""), h.root).enabled);
  CHECK_FALSE(plan_gpu(gpus("void"), h.root).enabled);
  // --gpus wins over the image's env, both ways.
  GpuRequest r = env("all");
  r.gpus = "void";
  CHECK_FALSE(plan_gpu(r, h.root).enabled);
  r = env("void");
  r.gpus = "0";
  CHECK(plan_gpu(r, h.root).gpus.size() == 1);
}

TEST_CASE("gpu: the driver version from /proc, the open module, or /sys/module") {
  FakeHost h;
  CHECK(cinit::launcher::driver_version(h.root) == std::optional<std::string>(version));
  put(h.root + "/proc/driver/nvidia/version",
      "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  560.35.03  Release Build  "
      "(dvs-builder@U16-I3-B03-4-3)  Fri Aug 16 21:42:42 UTC 2024\n");
  CHECK(cinit::launcher::driver_version(h.root) == std::optional<std::string>("560.35.03"));
  fs::remove_all(h.root + "/proc/driver/nvidia/version");
  CHECK_FALSE(cinit::launcher::driver_version(h.root));
  put(h.root + "/sys/module/nvidia/version", "545.23.08\n");
  CHECK(cinit::launcher::driver_version(h.root) == std::optional<std::string>("545.23.08"));
}

TEST_CASE("gpu: GPUs are numbered in PCI order, with minors and UUIDs from /proc") {
  FakeHost h;
  auto list = cinit::launcher::list_gpus(h.root);
  REQUIRE(list.size() == 2);
  CHECK(list[0].index == 0);
  CHECK(list[0].minor == 1);
  CHECK(list[0].uuid == uuid0);
  CHECK(list[0].model == "NVIDIA H100 80GB HBM3");
  CHECK(list[0].bus_id == "0000:3b:00.0");
  CHECK(list[1].index == 1);
  CHECK(list[1].minor == 0);
  // Without /proc/driver/nvidia/gpus: the /dev nodes, by minor.
  fs::remove_all(h.root + "/proc/driver/nvidia/gpus");
  list = cinit::launcher::list_gpus(h.root);
  REQUIRE(list.size() == 2);
  CHECK(list[0].minor == 0);
  CHECK(list[1].minor == 1);
  CHECK(list[0].uuid.empty());
}

TEST_CASE("gpu: all binds every GPU and the compute/utility nodes by default") {
  FakeHost h;
  GpuPlan p = plan_gpu(gpus("all"), h.root);
  REQUIRE(p.enabled);
  CHECK(p.driver_version == version);
  CHECK(p.caps == cinit::launcher::gpu_caps_default);
  CHECK(p.gpus.size() == 2);
  CHECK(targets(p, GpuBind::Kind::device) ==
        Strings{"/dev/nvidia-caps/nvidia-cap1", "/dev/nvidia-caps/nvidia-cap2", "/dev/nvidia-uvm",
                "/dev/nvidia-uvm-tools", "/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl"});
  const GpuBind* dev = find_target(p, "/dev/nvidia0");
  REQUIRE(dev != nullptr);
  CHECK(dev->source == h.root + "/dev/nvidia0");
  // The same from the image's env.
  CHECK(targets(plan_gpu(env("all"), h.root), GpuBind::Kind::device) ==
        targets(p, GpuBind::Kind::device));
}

TEST_CASE("gpu: indices and UUIDs select exactly those GPUs") {
  FakeHost h;
  // Index 0 is bus 0000:3b, whose node is /dev/nvidia1.
  GpuPlan p = plan_gpu(gpus("0"), h.root);
  REQUIRE(p.gpus.size() == 1);
  CHECK(p.gpus[0].uuid == uuid0);
  CHECK(has_target(p, "/dev/nvidia1"));
  CHECK_FALSE(has_target(p, "/dev/nvidia0"));
  CHECK(has_target(p, "/dev/nvidiactl"));
  p = plan_gpu(env("1"), h.root);
  CHECK(has_target(p, "/dev/nvidia0"));
  CHECK_FALSE(has_target(p, "/dev/nvidia1"));
  p = plan_gpu(gpus("1, 0,1"), h.root);
  CHECK(p.gpus.size() == 2);
  p = plan_gpu(gpus(uuid1), h.root);
  REQUIRE(p.gpus.size() == 1);
  CHECK(has_target(p, "/dev/nvidia0"));
  CHECK_FALSE(has_target(p, "/dev/nvidia1"));
  std::string upper = uuid1;
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper.replace(0, 4, "GPU-");
  CHECK(plan_gpu(gpus(upper), h.root).gpus.at(0).minor == 0);
  p = plan_gpu(gpus(std::string(uuid0) + ",1"), h.root);
  CHECK(p.gpus.size() == 2);
}

TEST_CASE("gpu: none gives the driver's libraries and binaries but no device") {
  FakeHost h;
  GpuPlan p = plan_gpu(env("none"), h.root);
  REQUIRE(p.enabled);
  CHECK(p.gpus.empty());
  CHECK(targets(p, GpuBind::Kind::device).empty());
  CHECK(has_target(p, std::string(cinit::launcher::gpu_lib64_dir) + "/libcuda.so." + version));
  CHECK(has_target(p, "/usr/bin/nvidia-smi"));
  CHECK_FALSE(has_target(p, "/run/nvidia-persistenced/socket"));
  CHECK_FALSE(has_target(p, "/var/run/nvidia-persistenced/socket"));
  // --gpus none means no GPU at all, over the image's wish.
  GpuRequest r = env("all");
  r.gpus = "none";
  CHECK_FALSE(plan_gpu(r, h.root).enabled);
}

TEST_CASE("gpu: gpu_request takes --gpus and the container's NVIDIA_* variables") {
  GpuRequest r = cinit::launcher::gpu_request("", "",
                                              {"PATH=/bin", "NVIDIA_VISIBLE_DEVICES=0,1",
                                               "NVIDIA_DRIVER_CAPABILITIES=video",
                                               "NVIDIA_VISIBLE_DEVICESX=2"},
                                              nullptr);
  CHECK_FALSE(r.gpus);
  CHECK_FALSE(r.slurm);
  CHECK(r.visible_devices == std::optional<std::string>("0,1"));
  CHECK(r.driver_capabilities == std::optional<std::string>("video"));
  r = cinit::launcher::gpu_request("all", "", {"NVIDIA_VISIBLE_DEVICES="}, nullptr);
  CHECK(r.gpus == std::optional<std::string>("all"));
  CHECK(r.visible_devices == std::optional<std::string>(""));
  CHECK_FALSE(r.driver_capabilities);
  CHECK(cinit::launcher::gpu_request("", "0", {}, nullptr).gpus == std::optional<std::string>("0"));
}

TEST_CASE("gpu: under Slurm the allocation wins over the configured default, --gpus over it") {
  const char* task[] = {"SLURM_JOB_ID=7",      "SLURMD_NODENAME=gpu01",    "SLURM_JOB_GPUS=0,1,2,3",
                        "SLURM_STEP_GPUS=1,3", "SLURM_CONF=/x/slurm.conf", nullptr};
  GpuRequest r = cinit::launcher::gpu_request("", "all", {}, task);
  CHECK_FALSE(r.gpus);
  REQUIRE(r.slurm);
  CHECK(r.slurm->positions == "1,3");
  CHECK(r.slurm->variable == "SLURM_STEP_GPUS");
  CHECK(r.slurm->node == "gpu01");
  CHECK(r.slurm->gres_conf == "/x/gres.conf");
  r = cinit::launcher::gpu_request("none", "all", {}, task);
  CHECK(r.gpus == std::optional<std::string>("none"));
  CHECK_FALSE(r.slurm);
  // A batch script has only the job's GPUs; a task without any gets none (not the default).
  const char* batch[] = {"SLURM_JOB_ID=7", "SLURMD_NODENAME=n1", "SLURM_JOB_GPUS=2", nullptr};
  r = cinit::launcher::gpu_request("", "all", {}, batch);
  REQUIRE(r.slurm);
  CHECK(r.slurm->positions == "2");
  CHECK(r.slurm->gres_conf == "/etc/slurm/gres.conf");
  const char* no_gpu[] = {"SLURM_JOB_ID=7", "SLURMD_NODENAME=n1", nullptr};
  r = cinit::launcher::gpu_request("", "all", {"NVIDIA_VISIBLE_DEVICES=all"}, no_gpu);
  REQUIRE(r.slurm);
  CHECK(r.slurm->positions.empty());
  // An salloc shell on a login node is no task: the default applies.
  const char* login[] = {"SLURM_JOB_ID=7", "SLURM_JOB_GPUS=0", nullptr};
  r = cinit::launcher::gpu_request("", "all", {}, login);
  CHECK_FALSE(r.slurm);
  CHECK(r.gpus == std::optional<std::string>("all"));
}

TEST_CASE("gpu: Slurm's GPU numbers are positions in gres.conf, mapped to minors") {
  FakeHost h;
  // The node's gres.conf lists minor 1 first: Slurm's GPU 0 is /dev/nvidia1, which the driver
  // lists as index 0 (bus 3b), and Slurm's GPU 1 is /dev/nvidia0 (index 1, bus af).
  put(h.root + "/etc/slurm/gres.conf", "AutoDetect=off\n"
                                       "NodeName=other Name=gpu File=" +
                                           h.root +
                                           "/dev/nvidia[0-1]\n"
                                           "NodeName=gpu[01-02] Name=gpu File=" +
                                           h.root +
                                           "/dev/nvidia1\n"
                                           "NodeName=gpu[01-02] Name=gpu File=" +
                                           h.root + "/dev/nvidia0\n");
  GpuRequest r;
  r.slurm =
      cinit::launcher::SlurmGpus{"1", "SLURM_STEP_GPUS", "gpu01", h.root + "/etc/slurm/gres.conf"};
  GpuPlan p = plan_gpu(r, h.root);
  REQUIRE(p.enabled);
  CHECK(p.from_slurm);
  REQUIRE(p.gpus.size() == 1);
  CHECK(p.gpus[0].minor == 0);
  CHECK(p.gpus[0].uuid == uuid1);
  CHECK(has_target(p, "/dev/nvidia0"));
  CHECK_FALSE(has_target(p, "/dev/nvidia1"));
  r.slurm->positions = "0";
  p = plan_gpu(r, h.root);
  REQUIRE(p.gpus.size() == 1);
  CHECK(p.gpus[0].minor == 1);
  // Inside, the GPUs count from 0 whatever Slurm's numbers were.
  std::vector<std::string> e = {"CUDA_VISIBLE_DEVICES=1", "PATH=/bin"};
  r.slurm->positions = "1,0";
  p = plan_gpu(r, h.root);
  CHECK(p.gpus.size() == 2);
  cinit::launcher::apply_slurm_gpu_env(e, p);
  std::sort(e.begin(), e.end());
  CHECK(e == std::vector<std::string>{"CUDA_VISIBLE_DEVICES=0,1", "GPU_DEVICE_ORDINAL=0,1",
                                      "NVIDIA_VISIBLE_DEVICES=0,1", "PATH=/bin"});
  // No GPU allocated: none, whatever the image asks.
  r.slurm->positions = "";
  r.visible_devices = "all";
  CHECK_FALSE(plan_gpu(r, h.root).enabled);
  // Beyond the node's list, or a list that names no NVIDIA device: errors naming gres.conf.
  r.slurm->positions = "2";
  CHECK_THROWS_WITH(plan_gpu(r, h.root), "SLURM_STEP_GPUS=2: node gpu01 has 2 GPUs in '" + h.root +
                                             "/etc/slurm/gres.conf'");
  // GPUs of another vendor (no NVIDIA driver here): a warning, no GPU, no failure.
  TempDir no_driver;
  r.slurm->positions = "0";
  CHECK_FALSE(plan_gpu(r, no_driver.path()).enabled);
  // Without File= lines (AutoDetect), Slurm orders GPUs as the driver does.
  put(h.root + "/etc/slurm/gres.conf", "AutoDetect=nvml\n");
  r.slurm->positions = "1";
  p = plan_gpu(r, h.root);
  REQUIRE(p.gpus.size() == 1);
  CHECK(p.gpus[0].index == 1);
}

TEST_CASE("gpu: unknown GPUs, missing nodes and missing drivers are clear errors") {
  FakeHost h;
  CHECK_THROWS_WITH(plan_gpu(gpus("2"), h.root), "--gpus 2: unknown GPU '2' (the host has 0-1)");
  CHECK_THROWS_WITH(plan_gpu(gpus("GPU-deadbeef"), h.root),
                    Catch::Contains("unknown GPU 'GPU-deadbeef'"));
  CHECK_THROWS_WITH(plan_gpu(env("0,7"), h.root),
                    Catch::StartsWith("NVIDIA_VISIBLE_DEVICES=0,7: unknown GPU '7'"));
  CHECK_THROWS_WITH(plan_gpu(gpus("MIG-1234"), h.root), Catch::Contains("MIG"));
  CHECK_THROWS_WITH(plan_gpu(gpus("all", "utility,bogus"), h.root),
                    Catch::Contains("unknown capability 'bogus'"));
  fs::remove(h.root + "/dev/nvidia1");
  CHECK_THROWS_WITH(plan_gpu(gpus("0"), h.root),
                    Catch::Contains("--gpus 0: no device node /dev/nvidia1"));
  CHECK_NOTHROW(plan_gpu(gpus("1"), h.root));
  fs::remove(h.root + "/dev/nvidiactl");
  CHECK_THROWS_WITH(plan_gpu(gpus("1"), h.root), Catch::Contains("/dev/nvidiactl"));

  FakeHost none;
  fs::remove_all(none.root + "/proc/driver/nvidia/gpus");
  for (const char* n : {"nvidia0", "nvidia1"})
    fs::remove(none.root + "/dev/" + n);
  CHECK_THROWS_WITH(plan_gpu(gpus("all"), none.root), "--gpus all: no NVIDIA GPU found");

  TempDir empty;
  CHECK_THROWS_WITH(plan_gpu(gpus("all"), empty.path()), "--gpus all: no NVIDIA driver found (no " +
                                                             empty.path() +
                                                             "/proc/driver/nvidia/version)");
  CHECK_THROWS_WITH(plan_gpu(gpus(uuid0), empty.path()),
                    Catch::StartsWith(std::string("--gpus ") + uuid0 + ": no NVIDIA driver found"));
  CHECK_FALSE(plan_gpu(gpus("none"), empty.path()).enabled); // no driver needed for that
  CHECK_THROWS_WITH(plan_gpu(gpus("all", "bogus"), empty.path()),
                    Catch::Contains("unknown capability"));
  // Only the image asked (CUDA images set NVIDIA_VISIBLE_DEVICES=all): it runs without GPU.
  CHECK_FALSE(plan_gpu(env("all"), empty.path()).enabled);
  // The host root may come from the environment (how the integration tests point at a tree).
  ::setenv("LAUNCHER_HOST_ROOT", empty.path().c_str(), 1);
  CHECK_THROWS_WITH(plan_gpu(gpus("all")), Catch::Contains(empty.path() + "/proc/driver"));
  FakeHost other(false);
  ::setenv("LAUNCHER_HOST_ROOT", other.root.c_str(), 1);
  CHECK(plan_gpu(gpus("1")).gpus.size() == 1);
  ::unsetenv("LAUNCHER_HOST_ROOT");
}

TEST_CASE("gpu: capabilities choose libraries, binaries and nodes") {
  FakeHost h;
  const std::string l64 = cinit::launcher::gpu_lib64_dir;
  const std::string l32 = cinit::launcher::gpu_lib32_dir;
  auto libs = [&](const GpuPlan& p) {
    Strings v;
    for (const GpuBind& b : p.binds)
      if (b.target.rfind("/usr/local/nvidia/", 0) == 0)
        v.push_back(b.target.substr(18));
    std::sort(v.begin(), v.end());
    return v;
  };
  std::string ver = version;
  GpuPlan p = plan_gpu(gpus("all"), h.root); // default: utility,compute
  CHECK(libs(p) == Strings{"lib64/libcuda.so." + ver, "lib64/libnvidia-ml.so." + ver,
                           "lib64/libnvidia-ptxjitcompiler.so." + ver});
  CHECK(p.lib_dirs == Strings{l64});
  CHECK(link_of(p, l64 + "/libcuda.so.1") == "libcuda.so." + ver);
  CHECK(link_of(p, l64 + "/libcuda.so") == "libcuda.so.1");
  CHECK(link_of(p, l64 + "/libnvidia-ml.so.1") == "libnvidia-ml.so." + ver);
  CHECK(find_target(p, l64 + "/libcuda.so." + ver)->source ==
        h.root + lib64 + "/libcuda.so." + ver);
  CHECK(has_target(p, "/usr/bin/nvidia-smi"));
  CHECK(has_target(p, "/usr/bin/nvidia-debugdump"));
  CHECK(has_target(p, "/usr/bin/nvidia-cuda-mps-control"));
  CHECK_FALSE(has_target(p, "/usr/bin/nvidia-persistenced")); // not executable on the host
  CHECK_FALSE(has_target(p, "/dev/nvidia-modeset"));
  CHECK(has_target(p, std::string("/lib/firmware/nvidia/") + version));
  CHECK(has_target(p, "/var/run/nvidia-persistenced/socket"));
  CHECK(find_target(p, "/var/run/nvidia-persistenced/socket")->source ==
        h.root + "/run/nvidia-persistenced/socket");

  p = plan_gpu(gpus("all", "utility"), h.root);
  CHECK(libs(p) == Strings{"lib64/libnvidia-ml.so." + ver});
  CHECK_FALSE(has_target(p, "/dev/nvidia-uvm"));
  CHECK_FALSE(has_target(p, "/usr/bin/nvidia-cuda-mps-control"));
  CHECK(link_of(p, l64 + "/libcuda.so").empty());

  p = plan_gpu(gpus("all", "compute"), h.root);
  CHECK_FALSE(has_target(p, "/usr/bin/nvidia-smi"));
  CHECK(has_target(p, "/dev/nvidia-uvm"));

  p = plan_gpu(gpus("all", "video"), h.root);
  CHECK(libs(p) == Strings{"lib64/libnvcuvid.so." + ver, "lib64/libnvidia-encode.so." + ver,
                           "lib64/libnvidia-opticalflow.so." + ver});
  CHECK(link_of(p, l64 + "/libnvidia-opticalflow.so") == "libnvidia-opticalflow.so.1");

  p = plan_gpu(gpus("all", "graphics,display"), h.root);
  CHECK(libs(p) == Strings{"lib64/libGLX_nvidia.so." + ver, "lib64/libnvidia-glcore.so." + ver});
  CHECK(link_of(p, l64 + "/libGLX_indirect.so.0") == "libGLX_nvidia.so.0");
  CHECK(has_target(p, "/dev/nvidia-modeset"));
  CHECK(has_target(p, "/usr/share/glvnd/egl_vendor.d/10_nvidia.json"));

  p = plan_gpu(gpus("all", "compute,compat32"), h.root);
  CHECK(libs(p) == Strings{"lib/libcuda.so." + ver, "lib64/libcuda.so." + ver,
                           "lib64/libnvidia-ptxjitcompiler.so." + ver});
  CHECK(find_target(p, l32 + "/libcuda.so." + ver)->source ==
        h.root + lib32 + "/libcuda.so." + ver);
  CHECK(p.lib_dirs == Strings{l64, l32});
  CHECK(link_of(p, l32 + "/libcuda.so") == "libcuda.so.1");

  p = plan_gpu(gpus("all", "all"), h.root);
  CHECK(p.caps == cinit::launcher::gpu_caps_all);
  CHECK(libs(p).size() == 10); // 9 native (not the stale cfg, not libz) + 32-bit libcuda
  CHECK(has_target(p, "/dev/nvidia-modeset"));
  Strings all_libs = libs(p);
  CHECK(std::find(all_libs.begin(), all_libs.end(), "lib64/libnvidia-ngx.so." + ver) !=
        all_libs.end());
  CHECK(std::none_of(all_libs.begin(), all_libs.end(), [](const std::string& s) {
    return s.find("libnvidia-cfg") != std::string::npos || s.find("libz") != std::string::npos;
  }));
  CHECK(plan_gpu(gpus("all", " utility , compute "), h.root).caps ==
        cinit::launcher::gpu_caps_default);
  CHECK(plan_gpu(gpus("all", ""), h.root).caps == cinit::launcher::gpu_caps_default);
}

TEST_CASE("gpu: apply_gpu_env puts the driver dirs first in LD_LIBRARY_PATH") {
  cinit::launcher::GpuMountResult r;
  Strings e = {"A=1"};
  cinit::launcher::apply_gpu_env(e, r);
  CHECK(e == Strings{"A=1"});
  r.ld_library_path = "/usr/local/nvidia/lib64";
  cinit::launcher::apply_gpu_env(e, r);
  CHECK(e == Strings{"A=1", "LD_LIBRARY_PATH=/usr/local/nvidia/lib64"});
  e = {"LD_LIBRARY_PATH=/opt/lib", "B=2"};
  cinit::launcher::apply_gpu_env(e, r);
  CHECK(e == Strings{"LD_LIBRARY_PATH=/usr/local/nvidia/lib64:/opt/lib", "B=2"});
}

// ---- Mounting, seen from inside a container ----------------------------------------------

namespace {

void run_ok(const std::vector<std::string>& argv) {
  cinit::SpawnResult r = cinit::spawn(argv, {"PATH=/usr/bin:/bin"});
  REQUIRE(r.pid > 0);
  int status = 0;
  REQUIRE(::waitpid(r.pid, &status, 0) == r.pid);
  REQUIRE(status == 0);
}

// A real shared object with `soname`, followed by `marker` (trailing bytes do not disturb
// the loader or ldconfig). One compile, one link per soname: cc1 is the slow part.
std::string compile_lib(const std::string& soname, const std::string& marker) {
  static TempDir cache;
  std::string obj = cache / "f.o";
  if (!fs::exists(obj)) {
    put(cache / "f.c", "int f(void) { return 1; }\n");
    run_ok({"gcc", "-c", "-fPIC", "-o", obj, cache / "f.c"});
  }
  std::string so = cache / soname;
  if (!fs::exists(so))
    run_ok({"gcc", "-shared", "-o", so, "-Wl,-soname," + soname, obj});
  std::optional<std::string> bytes = cinit::read_file(so);
  REQUIRE(bytes);
  std::string out = cache / (soname + "-" + marker.substr(marker.rfind(' ') + 1));
  REQUIRE(cinit::write_file_atomic(out, *bytes + marker + "\n", 0755));
  return out;
}

// Replaces the fake host's text libraries by real ELF ones (the container's ldconfig reads
// ELF headers), keeping names, sonames and the cache.
void make_elf(FakeHost& h) {
  for (const LdCacheEntry& e : h.cache) {
    if (!cinit::launcher::ld_entry_is_native(e))
      continue;
    char real[PATH_MAX];
    REQUIRE(::realpath((h.root + e.path).c_str(), real) != nullptr);
    std::string file = fs::path(real).filename();
    std::string lib = compile_lib(e.soname, file.substr(0, file.find(".so")) + " " +
                                                file.substr(file.find(".so.") + 4));
    fs::copy_file(lib, real, fs::copy_options::overwrite_existing);
  }
}

// An image: static busybox as /bin/sh & co, Debian's static ldconfig (optional), an
// ld.so.conf that includes ld.so.conf.d, an empty /dev.
struct Image {
  TempDir dir;
  std::string lower = dir / "lower";

  explicit Image(bool with_ldconfig = true) {
    ::chmod(dir.path().c_str(), 0755);
    for (const char* d : {"lower/bin", "lower/sbin", "lower/etc/ld.so.conf.d", "lower/dev",
                          "lower/usr/bin", "upper", "work", "merged"})
      fs::create_directories(dir / d);
    fs::copy_file("/usr/bin/busybox", lower + "/bin/busybox");
    for (const char* applet : {"sh", "ls", "cat", "readlink", "grep", "test", "touch", "sort",
                               "head", "wc", "id", "tr", "echo"})
      fs::create_symlink("busybox", lower + "/bin/" + applet);
    if (with_ldconfig)
      fs::copy_file("/sbin/ldconfig", lower + "/sbin/ldconfig");
    put(lower + "/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  }

  // /proc/driver/nvidia as the fresh procfs that the launcher mounts before mount_gpu shows it.
  void proc_of(const FakeHost& h) {
    fs::create_directories(lower + "/proc/driver");
    fs::copy(h.root + "/proc/driver/nvidia", lower + "/proc/driver/nvidia",
             fs::copy_options::recursive);
  }

  // A CUDA forward-compat libcuda of version `ver` in the image.
  void compat(const std::string& ver) {
    std::string compat_dir = lower + "/usr/local/cuda/compat";
    fs::create_directories(compat_dir);
    fs::copy_file(compile_lib("libcuda.so.1", "compat " + ver), compat_dir + "/libcuda.so." + ver);
    fs::create_symlink("libcuda.so." + ver, compat_dir + "/libcuda.so.1");
  }
};

void write_map(const std::string& file, const std::string& text) {
  cinit::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid() || !cinit::write_full(fd.get(), text))
    throw SysError("unable to write", file, errno);
}

// Forks; the child enters a new user namespace (root inside = the caller outside, host
// supplementary groups kept: setgroups is denied, never called) and mount namespace, runs
// `body` and exits with its result. Returns (exit status, stdout+stderr).
template <typename F> std::pair<int, std::string> in_userns(F body) {
  cinit::Pipe out;
  REQUIRE(cinit::make_pipe(out));
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out.write.get(), 1);
    ::dup2(out.write.get(), 2);
    try {
      if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
        throw SysError("unable to unshare", "", errno);
      write_map("/proc/self/setgroups", "deny");
      write_map("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n");
      write_map("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n");
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        throw SysError("unable to make / private", "", errno);
      int rc = body();
      std::fflush(stdout);
      ::_exit(rc);
    } catch (const std::exception& e) {
      std::string msg = std::string("child: ") + e.what() + "\n";
      (void)cinit::write_full(2, msg); // the parent reports it
      ::_exit(99);
    }
  }
  out.write.reset();
  std::optional<std::string> text = cinit::read_all(out.read.get());
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(text);
  return {cinit::shell_status(status), *text};
}

// Runs `script` with /bin/sh chrooted into `root` (the container's view); returns its status.
int sh_in(const std::string& root, const std::string& script) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::chroot(root.c_str()) != 0 || ::chdir("/") != 0)
      ::_exit(125);
    const char* envp[] = {"PATH=/usr/bin:/bin:/sbin", nullptr};
    ::execle("/bin/sh", "sh", "-c", script.c_str(), nullptr, envp);
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid)
    return 126;
  return cinit::shell_status(status);
}

// The launcher's order: overlay root with a fresh upper, a tmpfs /dev, then mount_gpu; then
// `script` runs inside. Output: "LDLP=..." and "LDCONFIG=0|1" lines, then the script's.
std::pair<int, std::string> run_container(const Image& img, const GpuPlan& plan,
                                          const std::string& script) {
  return in_userns([&] {
    std::string merged = img.dir / "merged";
    std::string opts = "lowerdir=" + img.lower + ",upperdir=" + (img.dir / "upper") +
                       ",workdir=" + (img.dir / "work") + ",userxattr";
    if (::mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) != 0)
      throw SysError("unable to mount overlay", merged, errno);
    if (::mount("tmpfs", (merged + "/dev").c_str(), "tmpfs", MS_NOSUID, "mode=755") != 0)
      throw SysError("unable to mount tmpfs", merged + "/dev", errno);
    cinit::launcher::GpuMountResult r = cinit::launcher::mount_gpu(plan, merged);
    // As after the launcher's pivot_root: the image's ldconfig runs inside the new root only.
    if (r.ldconfig_ran)
      throw SysError("mount_gpu ran ldconfig before the root change");
    if (::chroot(merged.c_str()) != 0 || ::chdir("/") != 0)
      throw SysError("unable to chroot", merged, errno);
    sigset_t mask;
    sigemptyset(&mask);
    cinit::launcher::run_gpu_ldconfig(r, mask);
    std::printf("LDLP=%s\nLDCONFIG=%d\n", r.ld_library_path.c_str(), r.ldconfig_ran ? 1 : 0);
    std::fflush(stdout);
    return sh_in("/", script);
  });
}

// What `ls` of the container's /dev/nvidia* shows, one name per line.
constexpr const char* list_devs =
    "cd /dev && ls -d nvidia* nvidia-caps/* 2>/dev/null | tr '\\n' ' '"
    "; echo";

} // namespace

TEST_CASE("gpu mount: --gpus all, default capabilities, seen from inside") {
  FakeHost h;
  make_elf(h);
  Image img;
  GpuPlan plan = plan_gpu(gpus("all"), h.root);
  auto [rc, out] = run_container(img, plan, std::string(list_devs) + R"(
    cat /dev/nvidia0
    ldconfig -p | grep -E 'libcuda|libnvidia' | tr -s ' \t' ' '
    readlink /usr/local/nvidia/lib64/libcuda.so
    readlink /usr/local/nvidia/lib64/libcuda.so.1
    grep -c 'libcuda 550.54.14' /usr/local/nvidia/lib64/libcuda.so.1
    nvidia-smi
    test -f /lib/firmware/nvidia/550.54.14/gsp_ga10x.bin && echo firmware
    test -S /var/run/nvidia-persistenced/socket && echo socket
    touch /usr/local/nvidia/lib64/x 2>/dev/null || echo lib-ro
    touch /usr/bin/nvidia-smi 2>/dev/null || echo bin-ro
    touch /dev/newfile && echo dev-rw
    cat /etc/ld.so.conf.d/000-cinit-nvidia.conf
  )");
  INFO(out);
  REQUIRE(rc == 0);
  CHECK_THAT(out, Catch::Contains("LDCONFIG=1\n"));
  CHECK_THAT(out, Catch::Contains("LDLP=\n"));
  CHECK_THAT(out, Catch::Contains("nvidia-caps/nvidia-cap1 nvidia-caps/nvidia-cap2 nvidia-uvm "
                                  "nvidia-uvm-tools nvidia0 nvidia1 nvidiactl \n"));
  CHECK_THAT(out, Catch::Contains("device nvidia0\n"));
  CHECK_THAT(out, Catch::Contains(
                      " libcuda.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libcuda.so.1\n"));
  CHECK_THAT(out,
             Catch::Contains(" libcuda.so (libc6,x86-64) => /usr/local/nvidia/lib64/libcuda.so\n"));
  CHECK_THAT(
      out, Catch::Contains(
               " libnvidia-ml.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libnvidia-ml.so.1\n"));
  CHECK_THAT(out, !Catch::Contains("libnvidia-encode"));
  CHECK_THAT(out, Catch::Contains("\nlibcuda.so.1\nlibcuda.so.550.54.14\n1\nsmi\n"));
  for (const char* word : {"firmware", "socket", "lib-ro", "bin-ro", "dev-rw"})
    CHECK_THAT(out, Catch::Contains(std::string("\n") + word + "\n"));
  CHECK_THAT(out, Catch::EndsWith("/usr/local/nvidia/lib64\n"));
  // The image's layer is untouched; the overlay's upper holds the linker files only, and the
  // symlinks live on the tmpfs, not in the upper layer.
  CHECK_FALSE(fs::exists(img.lower + "/etc/ld.so.cache"));
  CHECK_FALSE(fs::exists(img.lower + "/usr/local/nvidia"));
  CHECK_FALSE(fs::exists(img.lower + "/etc/ld.so.conf.d/000-cinit-nvidia.conf"));
  CHECK(fs::exists(img.dir / "upper/etc/ld.so.cache"));
  CHECK(fs::is_empty(img.dir / "upper/usr/local/nvidia"));
  CHECK(fs::is_empty(img.lower + "/usr/bin"));
}

TEST_CASE("gpu mount: each selection shows only its devices inside") {
  FakeHost h(false);
  struct Case {
    GpuRequest req;
    std::string devs;
  };
  std::vector<Case> cases = {
      {gpus("0"), "nvidia-caps/nvidia-cap1 nvidia-caps/nvidia-cap2 nvidia-uvm nvidia-uvm-tools "
                  "nvidia1 nvidiactl \n"},
      {env("1"), "nvidia-caps/nvidia-cap1 nvidia-caps/nvidia-cap2 nvidia-uvm nvidia-uvm-tools "
                 "nvidia0 nvidiactl \n"},
      {gpus(uuid1, "utility"),
       "nvidia-caps/nvidia-cap1 nvidia-caps/nvidia-cap2 nvidia0 nvidiactl \n"},
      {gpus("0", "display"), "nvidia-caps/nvidia-cap1 nvidia-caps/nvidia-cap2 nvidia-modeset "
                             "nvidia1 nvidiactl \n"},
      {env("none"), "\n"},
  };
  for (const Case& c : cases) {
    Image img(false);
    GpuPlan plan = plan_gpu(c.req, h.root);
    auto [rc, out] = run_container(img, plan, list_devs);
    INFO(out);
    REQUIRE(rc == 0);
    CHECK_THAT(out, Catch::EndsWith(c.devs));
  }
}

TEST_CASE("gpu mount: /proc/driver/nvidia shows only the selected GPUs") {
  FakeHost h(false);
  struct Case {
    GpuRequest req;
    std::string gpus;
  };
  std::vector<Case> cases = {
      {gpus("all"), "0000:3b:00.0 0000:af:00.0"},
      {gpus("1"), "0000:af:00.0"},
      {env(uuid0), "0000:3b:00.0"},
      {env("none"), ""},
  };
  for (const Case& c : cases) {
    Image img(false);
    img.proc_of(h);
    auto [rc, out] = run_container(img, plan_gpu(c.req, h.root), R"(
      cd /proc/driver/nvidia && echo $(ls gpus)
      grep Modify params
      head -c 12 version; echo
      cat gpus/*/information 2>/dev/null | grep -c Minor
      touch x 2>/dev/null || echo proc-ro)");
    INFO(out);
    REQUIRE(rc == 0);
    auto n = c.gpus.empty() ? 0 : std::count(c.gpus.begin(), c.gpus.end(), ' ') + 1;
    CHECK_THAT(out, Catch::EndsWith(c.gpus + "\nModifyDeviceFiles: 0\nNVRM version\n" +
                                    std::to_string(n) + "\nproc-ro\n"));
  }
}

TEST_CASE("gpu mount: capabilities decide which libraries the container's linker sees") {
  FakeHost h(false);
  make_elf(h);
  struct Case {
    std::string caps;
    Strings present;
    Strings absent;
  };
  std::vector<Case> cases = {
      {"utility", {"libnvidia-ml.so.1"}, {"libcuda.so.1", "libnvidia-encode.so.1"}},
      {"compute", {"libcuda.so.1", "libnvidia-ptxjitcompiler.so.1"}, {"libnvidia-ml.so.1"}},
      {"video",
       {"libnvidia-encode.so.1", "libnvcuvid.so.1", "libnvidia-opticalflow.so"},
       {"libcuda.so.1"}},
      {"graphics", {"libGLX_nvidia.so.0", "libnvidia-glcore.so.1"}, {"libcuda.so.1"}},
      {"ngx", {"libnvidia-ngx.so.1"}, {"libcuda.so.1"}},
      {"all",
       {"libcuda.so.1", "libnvidia-ml.so.1", "libnvidia-encode.so.1", "libGLX_nvidia.so.0",
        "libnvidia-ngx.so.1"},
       {"libnvidia-cfg.so.1", "libz.so.1"}},
  };
  for (const Case& c : cases) {
    Image img;
    GpuPlan plan = plan_gpu(env("none", c.caps), h.root);
    auto [rc, out] = run_container(img, plan, "ldconfig -p | grep /usr/local/nvidia/");
    INFO(c.caps << "\n" << out);
    REQUIRE(rc == 0);
    for (const std::string& lib : c.present)
      CHECK_THAT(out, Catch::Contains("\t" + lib + " (libc6,x86-64) => /usr/local/nvidia/lib64/" +
                                      lib + "\n"));
    for (const std::string& lib : c.absent)
      CHECK_THAT(out, !Catch::Contains("\t" + lib + " "));
  }
}

TEST_CASE("gpu mount: without ldconfig in the image, LD_LIBRARY_PATH is the way") {
  FakeHost h(false);
  Image img(false);
  GpuPlan plan = plan_gpu(gpus("all", "compute,compat32"), h.root);
  auto [rc, out] = run_container(img, plan, R"(
    readlink /usr/local/nvidia/lib64/libcuda.so.1
    readlink /usr/local/nvidia/lib/libcuda.so
    cat /usr/local/nvidia/lib/libcuda.so.1
  )");
  INFO(out);
  REQUIRE(rc == 0);
  CHECK_THAT(out,
             Catch::StartsWith("LDLP=/usr/local/nvidia/lib64:/usr/local/nvidia/lib\nLDCONFIG=0\n"));
  CHECK_THAT(out, Catch::EndsWith("libcuda.so.550.54.14\nlibcuda.so.1\nlibcuda 550.54.14 i386\n"));
}

TEST_CASE("gpu mount: the image's CUDA forward-compat libcuda is never shadowed") {
  FakeHost h(false);
  make_elf(h);
  const char* script = "ldconfig -p | grep 'libcuda.so.1 (' | head -n 1 | tr -s ' \\t' ' '; "
                       "grep -c 'compat' /usr/local/cuda/compat/libcuda.so.1";
  {
    // Newer than the driver: forward compatibility, so it comes first.
    Image img;
    img.compat("560.1.2");
    auto [rc, out] = run_container(img, plan_gpu(gpus("all"), h.root), script);
    INFO(out);
    REQUIRE(rc == 0);
    CHECK_THAT(out,
               Catch::EndsWith(
                   " libcuda.so.1 (libc6,x86-64) => /usr/local/cuda/compat/libcuda.so.1\n1\n"));
  }
  {
    // Older than the driver: it would break CUDA, so the driver's own wins; the file stays.
    Image img;
    img.compat("535.1.2");
    auto [rc, out] = run_container(img, plan_gpu(gpus("all"), h.root), script);
    INFO(out);
    REQUIRE(rc == 0);
    CHECK_THAT(out,
               Catch::EndsWith(
                   " libcuda.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libcuda.so.1\n1\n"));
  }
}

TEST_CASE("gpu mount: a video-group device stays usable inside through supplementary groups") {
  if (::getuid() != 0) {
    WARN("needs root to give a test process the video group; skipped");
    return;
  }
  struct group* video = ::getgrnam("video");
  REQUIRE(video != nullptr);
  gid_t video_gid = video->gr_gid;
  // A node readable by group video only (NVreg_DeviceFileMode=0660, DeviceFileGID=video).
  FakeHost h(false);
  std::string node = h.root + "/dev/nvidia0";
  REQUIRE(::chown(node.c_str(), 0, video_gid) == 0);
  REQUIRE(::chmod(node.c_str(), 0660) == 0);
  GpuPlan plan = plan_gpu(gpus("1", "utility"), h.root);
  const uid_t user = 1001; // the unprivileged test user (cinit-test), whatever its name
  for (bool in_video : {true, false}) {
    Image img(false);
    // The image's files belong to the user, as an unpacked layer does (mapped to root inside).
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(img.dir.path()))
      REQUIRE(::lchown(e.path().c_str(), user, user) == 0);
    cinit::Pipe out;
    REQUIRE(cinit::make_pipe(out));
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // As the launcher runs: an unprivileged user, here with or without group video.
      std::vector<gid_t> groups;
      if (in_video)
        groups.push_back(video_gid);
      if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(user) != 0 ||
          ::setuid(user) != 0)
        ::_exit(98);
      // setuid() made us non-dumpable, which leaves /proc/self/*_map owned by root.
      (void)::prctl(PR_SET_DUMPABLE, 1);
      try {
        auto [rc, text] = run_container(img, plan, "cat /dev/nvidia0 && id -G");
        (void)cinit::write_full(out.write.get(), text);
        ::_exit(rc);
      } catch (...) { // a failed REQUIRE must not run the rest of the suite in this child
        ::_exit(97);
      }
    }
    out.write.reset();
    std::optional<std::string> text = cinit::read_all(out.read.get());
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO("in video: " << in_video << "\n" << text.value_or(""));
    if (in_video) {
      CHECK(cinit::shell_status(status) == 0);
      // Root inside; the host's video group shows as the overflow gid, yet it still counts.
      CHECK_THAT(*text, Catch::EndsWith("device nvidia0\n0 65534\n"));
    } else {
      CHECK(cinit::shell_status(status) != 0);
      CHECK_THAT(*text, Catch::Contains("Permission denied"));
    }
  }
}

TEST_CASE("gpu: host symlinks resolve inside the host root, never outside it") {
  FakeHost h(false);
  std::string dir = h.root + lib64;
  // An absolute link is taken relative to the host root.
  fs::remove(dir + "/libnvidia-ml.so.1");
  fs::create_symlink(std::string(lib64) + "/libnvidia-ml.so." + version,
                     dir + "/libnvidia-ml.so.1");
  // A link climbing out stops at the host root: /etc/libcuda.so.VERSION does not exist there
  // (it does on the real root, where this test plants it), so libcuda is not found.
  TempDir outside;
  fs::remove(dir + "/libcuda.so.1");
  std::string escape = "../../../../../../../../.." + outside.path() + "/libcuda.so." + version;
  put(outside / (std::string("libcuda.so.") + version), "outside");
  fs::create_symlink(escape, dir + "/libcuda.so.1");
  GpuPlan p = plan_gpu(gpus("all"), h.root);
  const std::string l64 = cinit::launcher::gpu_lib64_dir;
  const GpuBind* ml = find_target(p, l64 + "/libnvidia-ml.so." + version);
  REQUIRE(ml != nullptr);
  CHECK(ml->source == h.root + lib64 + "/libnvidia-ml.so." + version);
  CHECK(find_target(p, l64 + "/libcuda.so." + version) == nullptr);
  for (const GpuBind& b : p.binds)
    CHECK(b.source.rfind(h.root + "/", 0) == 0);
}

TEST_CASE("gpu mount: the image's symlinks cannot lead a mount out of the root") {
  FakeHost h(false);
  Image img(false);
  TempDir outside;
  ::chmod(outside.path().c_str(), 0755);
  // /usr/local in the image points at an absolute host path; inside the root it means
  // <root>/<that path>, created there.
  fs::create_directories(img.lower + "/usr");
  fs::create_symlink(outside.path(), img.lower + "/usr/local");
  fs::create_symlink("../../../../../../../.." + outside.path(), img.lower + "/usr/bin2");
  GpuPlan plan = plan_gpu(gpus("all"), h.root);
  plan.binds.push_back({h.root + "/usr/bin/nvidia-smi", "/usr/bin2/smi", GpuBind::Kind::file});
  auto [rc, out] =
      run_container(img, plan, "ls /usr/local/nvidia/lib64/libcuda.so.1 && cat /usr/bin2/smi");
  INFO(out);
  REQUIRE(rc == 0);
  CHECK_THAT(out, Catch::Contains("echo smi"));
  CHECK(fs::is_empty(outside.path()));
  CHECK(fs::exists(img.dir / ("upper" + outside.path() + "/nvidia")));
  CHECK(fs::exists(img.dir / ("upper" + outside.path() + "/smi")));
  // A symlink loop is an error, not a hang.
  Image loop(false);
  fs::create_directories(loop.lower + "/usr");
  fs::create_symlink("/usr/b", loop.lower + "/usr/a");
  fs::create_symlink("/usr/a", loop.lower + "/usr/b");
  GpuPlan looping = plan_gpu(gpus("0", "utility"), h.root);
  looping.binds.push_back({h.root + "/usr/bin/nvidia-smi", "/usr/a/smi", GpuBind::Kind::file});
  auto [rc2, out2] = run_container(loop, looping, "true");
  CHECK(rc2 == 99);
  CHECK_THAT(out2, Catch::Contains("/usr/a"));
}
