// Slurm's gres.conf, as far as the launcher needs it: which device files are a node's GPUs, in
// Slurm's order. Slurm numbers a node's GPUs (SLURM_STEP_GPUS, SLURM_JOB_GPUS) by their
// position in that order, which is not the device minor (NOTES.md §6; the bug enroot#207 and
// pyxis#73 report).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cinit::launcher {

// Expands a Slurm host list or file list: "n[1-3,7],gpu05", "/dev/nvidia[0-3]". Numbers keep
// the width of the range's first bound ("n[01-10]": n01 ... n10). Throws SysError (naming
// `what`) on a bad range or one that expands to more than 65536 names.
std::vector<std::string> expand_hostlist(std::string_view list, const std::string& what);

// The File= entries of every Name=gpu line that applies to `node` (a line without NodeName=
// applies to every node), expanded, in file order: position i is Slurm's GPU i. Keys are
// case-insensitive, '#' starts a comment, other keys and lines are ignored. Empty when no
// such line has File= (AutoDetect: Slurm then orders GPUs as the driver does). `path` is
// for errors: "path:LINE: problem". Throws SysError.
std::vector<std::string> gres_gpu_files(std::string_view text, const std::string& node,
                                        const std::string& path);

} // namespace cinit::launcher
