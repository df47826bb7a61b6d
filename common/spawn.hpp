// Starting a child: a vfork-style clone + exec, with the child's signal state reset to SIG_DFL
// and an empty mask, whatever the parent blocks or ignores; exec errors come back
// synchronously. The caller reaps a started child: in cinit only waitpid(-1) in the loop does.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace cinit {

struct SpawnOptions {
  int stdin_fd = -1; // -1: inherit
  int stdout_fd = -1;
  int stderr_fd = -1;
  bool new_session = false; // setsid(): own session and process group
  bool new_process_group = false;
  bool foreground_tty = false; // own process group, made the foreground of the tty on stdin
  std::string cwd;             // empty: inherit
  int cwd_fd = -1;             // if >= 0, fchdir() here instead of `cwd` (survives a rename)
  int extra_fd = -1;           // if >= 0, dup2'd onto extra_fd_target after stdio (a service's
  int extra_fd_target = -1;    // notification-fd); the caller picks a target that is not 0-2
  bool path_search = true;     // execvp semantics, over the PATH in `env`
  std::string exec_path;       // run this file instead of argv[0] (argv[0] stays the name)
};

struct SpawnResult {
  pid_t pid = -1;
  int error = 0; // errno of fork or exec when pid == -1
};

// `env` entries are "NAME=value"; an empty `argv` is EINVAL.
SpawnResult spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                  const SpawnOptions& opts = {});

// argv/envp for exec: pointers into `v` (which must outlive them), null-terminated.
std::vector<char*> c_strings(const std::vector<std::string>& v);

// Exit status in the shell's convention: the code, or 128+N for death by signal N.
int shell_status(int wait_status);

} // namespace cinit
