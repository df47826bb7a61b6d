// Boot-time state of cinit: the container environment (my_init's /etc/container_environment
// directory and its .sh/.json dumps) and the startup scripts to run.
#pragma once

#include "common/env.hpp"

#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

namespace cinit::init {

// Every path cinit reads or writes; the defaults are my_init's.
struct Paths {
  std::string env_dir = "/etc/container_environment";
  std::string env_sh = "/etc/container_environment.sh";
  std::string env_json = "/etc/container_environment.json";
  std::string init_dir = "/etc/my_init.d";
  std::string rc_local = "/etc/rc.local";
  std::string pre_shutdown_dir = "/etc/my_init.pre_shutdown.d";
  std::string post_shutdown_dir = "/etc/my_init.post_shutdown.d";
  std::string service_dir = "/etc/service";
  std::string insecure_key = "/usr/sbin/enable_insecure_key";
  std::string group_file = "/etc/group";
};

class ContainerEnv {
public:
  ContainerEnv(Env inherited, Paths paths);

  // my_init's first import: the dir's values fill in what is not set yet (`docker run -e`
  // wins). Does nothing when the dir does not exist.
  void import_initial();
  // After each startup script: the environment becomes exactly the dir's files, except that
  // HOME, USER, SHELL (and the other never-dumped names) survive unless the dir sets them.
  void reimport();
  // Writes the dir (when `with_dir`), `.sh` and `.json` atomically, mode 0640 (dir 0750),
  // group docker_env where it exists. Failures are warnings: PID 1 goes on.
  void dump(bool with_dir);

  const Env& env() const { return env_; }
  std::vector<std::string> strings() const { return env_to_strings(env_); }
  bool dir_exists() const;

private:
  void secure(const std::string& path, mode_t mode, bool is_dir);
  void write(const std::string& path, const std::string& data);
  void find_group_once();

  Env env_;
  Paths paths_;
  gid_t group_ = static_cast<gid_t>(-1); // docker_env, if /etc/group has it (and we may)
  bool group_looked_up_ = false;
  std::set<std::string> unwritten_; // names whose dir file the last dump could not write
};

// Executable regular files (symlinks followed) in `dir`, in byte order, dot-files included
// (as my_init). A missing dir yields {}.
std::vector<std::string> startup_scripts(const std::string& dir);

} // namespace cinit::init
