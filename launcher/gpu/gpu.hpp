// NVIDIA GPU access without nvidia-container-cli: discovery (plan_gpu, in the launcher before
// it forks, so that every error comes early, exit 125) and mounting (mount_gpu, in the child's
// mount namespace before pivot_root). Only the devices asked for enter the container.
//
// Selection: `--gpus`, else Slurm's allocation when the launcher is a Slurm task, else the INI
// default, else the container's NVIDIA_VISIBLE_DEVICES:
//   unset, "" or "void"  no GPU at all (nothing is bound)
//   "none"               NVIDIA_VISIBLE_DEVICES: driver libraries and binaries, no device node
//                        (NVIDIA's contract); --gpus none: no GPU at all, whatever the image
//                        asks, and no driver needed (what a docker user means by it)
//   "all"                every GPU
//   "0,2" / "GPU-<uuid>" those GPUs (indices in PCI bus order, as nvidia-smi numbers them)
// Under Slurm (SLURMD_NODENAME and SLURM_JOB_ID set) the task gets exactly the GPUs of
// SLURM_STEP_GPUS (else SLURM_JOB_GPUS; neither: no GPU). Those are positions in the node's
// gres.conf File= list, mapped to device minors here; inside, CUDA_VISIBLE_DEVICES,
// NVIDIA_VISIBLE_DEVICES and GPU_DEVICE_ORDINAL count them from 0.
// Capabilities (NVIDIA_DRIVER_CAPABILITIES, comma list; unset or "": "utility,compute", as
// Apptainer; "all": every one): utility compute video graphics display compat32 ngx.
//
// Where things go in the container:
//   /dev/nvidia*                   the selected nodes (nvidiactl with any GPU; nvidia-uvm and
//                                  nvidia-uvm-tools with compute; nvidia-modeset with display)
//   /usr/local/nvidia/lib64, /lib  driver libraries (64-bit, compat32), on a tmpfs of their own:
//                                  no file of the image is shadowed, in particular not the CUDA
//                                  forward-compat libcuda in /usr/local/cuda/compat, which
//                                  comes first in the linker's order when it is newer than
//                                  the driver (its purpose) and is left out when older
//   /usr/bin/nvidia-smi, ...       the driver's binaries
//   /lib/firmware/nvidia/VERSION, the persistenced socket, the MPS pipe dir: same paths
#pragma once

#include "common/unique_fd.hpp"

#include <optional>
#include <signal.h>
#include <string>
#include <vector>

namespace cinit::launcher {

// A Slurm task's GPUs, as Slurm names them.
struct SlurmGpus {
  std::string positions; // SLURM_STEP_GPUS or SLURM_JOB_GPUS ("0,2"); "" for none
  std::string variable;  // which of the two (for errors)
  std::string node;      // SLURMD_NODENAME
  std::string gres_conf; // gres.conf beside $SLURM_CONF (default /etc/slurm/slurm.conf)
};

// What the user, Slurm and the image ask for.
struct GpuRequest {
  std::optional<std::string> gpus;                // --gpus or the INI default (nullopt: neither)
  std::optional<SlurmGpus> slurm;                 // set when we are a Slurm task
  std::optional<std::string> visible_devices;     // the container's NVIDIA_VISIBLE_DEVICES
  std::optional<std::string> driver_capabilities; // the container's NVIDIA_DRIVER_CAPABILITIES
};

// Capability bits.
enum GpuCap : unsigned {
  gpu_cap_utility = 1U << 0,
  gpu_cap_compute = 1U << 1,
  gpu_cap_video = 1U << 2,
  gpu_cap_graphics = 1U << 3,
  gpu_cap_display = 1U << 4,
  gpu_cap_compat32 = 1U << 5,
  gpu_cap_ngx = 1U << 6,
};
constexpr unsigned gpu_caps_default = gpu_cap_utility | gpu_cap_compute;
constexpr unsigned gpu_caps_all = (1U << 7) - 1;

// The request for `gpus_flag` (--gpus; "" = not given), `gpus_default` (the INI's; "" = none),
// the container's environment ("NAME=value" entries: the image's Env with -e applied) and the
// launcher's own environment (`host_environ`, for Slurm's variables; nullptr: none). A flag
// wins over Slurm, Slurm over the default.
GpuRequest gpu_request(const std::string& gpus_flag, const std::string& gpus_default,
                       const std::vector<std::string>& env, const char* const* host_environ);

// Parses a capability list ("utility,compute", "all"). Throws SysError on an unknown name.
unsigned parse_gpu_caps(const std::optional<std::string>& list);

// One GPU the host driver reports.
struct GpuDevice {
  unsigned index = 0; // position in PCI bus order
  unsigned minor = 0; // /dev/nvidia<minor>
  std::string uuid;   // "GPU-..." (empty when /proc/driver/nvidia/gpus is absent)
  std::string bus_id;
  std::string model;
};

// Lists the host's GPUs under `host_root` (from /proc/driver/nvidia/gpus/*/information, or
// from the /dev/nvidiaN nodes when that is absent), in index order.
std::vector<GpuDevice> list_gpus(const std::string& host_root);

// The running driver's version ("550.54.14"), from /proc/driver/nvidia/version or
// /sys/module/nvidia/version under `host_root`; nullopt when no driver is loaded.
std::optional<std::string> driver_version(const std::string& host_root);

// One bind mount: `source` is a host path (host root included), `target` a container path.
struct GpuBind {
  enum class Kind { device, file, dir, dir_rw };
  std::string source;
  std::string target;
  Kind kind = Kind::file;
};

// A symlink the mount step creates in the container (inside the driver tmpfs).
struct GpuSymlink {
  std::string path;   // container path
  std::string target; // link text
};

struct GpuPlan {
  bool enabled = false;    // false: nothing to mount
  bool from_slurm = false; // the GPUs are Slurm's: the container's numbering starts at 0
  std::string driver_version;
  unsigned caps = 0;
  std::vector<GpuDevice> gpus; // the selected GPUs
  std::vector<GpuBind> binds;  // in mount order
  std::vector<GpuSymlink> symlinks;
  std::vector<std::string> lib_dirs; // container dirs holding driver libraries
};

// Container paths used by the plan.
constexpr const char* gpu_driver_dir = "/usr/local/nvidia";
constexpr const char* gpu_lib64_dir = "/usr/local/nvidia/lib64";
constexpr const char* gpu_lib32_dir = "/usr/local/nvidia/lib";
constexpr const char* gpu_ld_conf = "/etc/ld.so.conf.d/000-cinit-nvidia.conf";

// Builds the plan. `host_root` "" means $LAUNCHER_HOST_ROOT if set (tests), else "/".
// `host_path` is the host's PATH for the binaries (empty: a standard one).
// Throws SysError when a GPU was asked for with --gpus and cannot be given (no driver, no
// device node, unknown index or UUID, unknown capability), or when Slurm's GPUs cannot be
// mapped (gres.conf unreadable or without them). A request that comes only from the image's
// environment or from Slurm, on a host without an NVIDIA driver, warns and gives no GPU, so
// that CUDA images still run on machines without one.
GpuPlan plan_gpu(const GpuRequest& req, const std::string& host_root = {},
                 const std::string& host_path = {});

// What mount_gpu did that the container's environment must reflect.
struct GpuMountResult {
  bool ldconfig_ran = false;
  // The image's ldconfig (a container path) and the dirs for it, when it has one: run by
  // run_gpu_ldconfig() only after pivot_root, never while the host's root is reachable.
  std::string ldconfig;
  std::vector<std::string> lib_dirs;
  // Set when the image has no ldconfig (or it failed): the driver dirs (after a newer CUDA
  // forward-compat dir of the image, if any) for LD_LIBRARY_PATH. Empty otherwise.
  std::string ld_library_path;
  // The tmpfs of the driver's libraries, made read-only once ldconfig has run.
  UniqueFd driver_fs;
};

// Under Slurm: CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES and GPU_DEVICE_ORDINAL in `env`
// become 0..k-1 for the plan's k GPUs (Slurm's own values number them on the host). No change
// for a plan that is not Slurm's.
void apply_slurm_gpu_env(std::vector<std::string>& env, const GpuPlan& plan);

// Prepends `result.ld_library_path` to LD_LIBRARY_PATH in `env` ("NAME=value" entries), keeping
// the image's own value after it. No change when it is empty.
void apply_gpu_env(std::vector<std::string>& env, const GpuMountResult& result);

// Carries out `plan` under `new_root` (the container's root, not yet pivoted). Call it in the
// container's mount namespace (with CAP_SYS_ADMIN there), after /dev is set up, before
// pivot_root, single-threaded. Creates mount points in the fresh overlay upper and on the
// /dev tmpfs, binds read-only (a read-only bind does not stop ioctl or write on a char device),
// mounts a tmpfs on /usr/local/nvidia for the libraries and their symlinks, writes
// /etc/ld.so.conf.d/000-cinit-nvidia.conf and finds the image's own ldconfig, which
// run_gpu_ldconfig() runs after pivot_root. Where the container already has
// /proc/driver/nvidia (a fresh procfs), a read-only tmpfs over it shows only the selected
// GPUs, with `ModifyDeviceFiles: 0` in params so that the user-space driver does not try to
// create the nodes it was not given (as libnvidia-container does). Never calls setgroups(): host
// supplementary groups (e.g. `video` on a 0660 device node) keep working inside.
// Throws SysError.
GpuMountResult mount_gpu(const GpuPlan& plan, const std::string& new_root);

// Runs `result.ldconfig` (the image's own, untrusted) in a short-lived child, which writes
// /etc/ld.so.cache into the overlay's fresh upper layer: the image is never modified. Call it
// in the container after pivot_root and the old root's detach, so that nothing of the host's
// tree is reachable from it. When the image has none or it fails, sets
// `result.ld_library_path` instead. Then makes the driver's tmpfs read-only. Throws SysError.
void run_gpu_ldconfig(GpuMountResult& result, const sigset_t& child_mask);

// Parses a "550.54.14"-style version into its numbers (empty when it is not one).
std::vector<unsigned> parse_version(const std::string& v);

} // namespace cinit::launcher
