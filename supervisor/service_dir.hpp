// One runit service directory on disk: checking that it can be supervised, its
// `supervise/` control files (FIFOs, lock, status records) and starting its programs.
// Nothing here keeps state between calls; the supervisor's loop owns the services.
#pragma once

#include "common/unique_fd.hpp"
#include "supervisor/status.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace cinit::supervisor {

// Whether NAME, an entry of the supervised directory, is a service: runsvdir's rule (not
// empty, no leading '.', which also leaves out "." and ".."), and one path component.
bool service_name(std::string_view name);

// The directory `sv` acts on for NAME (as given on its command line): NAME itself when it
// starts with '/' or '.', else SVDIR/NAME, without trailing slashes (runit's sv chdir()s).
std::string service_path(std::string_view svdir, std::string_view name);

// What a good service directory holds (runsv reads `down` once, when it starts).
struct ServiceDirInfo {
  bool has_log = false; // log/ is a directory with an executable log/run
  bool down = false;    // `down` exists: do not start automatically
  bool log_down = false;
  dev_t dev = 0; // identity of the directory, to notice a name that now means another dir
  ino_t ino = 0;
};

struct Inspection {
  std::optional<ServiceDirInfo> info;
  std::string problem; // when !info: what is wrong, naming the path
};

// Checks DIR as a service directory: `run` an executable regular file, and the same for
// log/run when log/ is a directory. A `log` that is not a directory is ignored, as runsv does.
Inspection inspect_service_dir(const std::string& dir);

// The three descriptors runsv holds for as long as it supervises a directory.
struct SuperviseFds {
  UniqueFd lock;    // supervise/lock, flock()ed: a second supervisor (or runsv) is refused
  UniqueFd control; // supervise/control FIFO, opened read-write so it never reports EOF
  UniqueFd ok;      // supervise/ok FIFO, held open for reading: sv's O_WRONLY open succeeds
                    // only while someone supervises the directory
};

// Creates DIR/supervise (mode 0700; when it is a dangling symlink, as Debian ships them,
// the missing directories of its target too), its FIFOs and lock. Returns the problem, or
// an empty string on success.
std::string prepare_supervise(const std::string& dir, SuperviseFds& out);

// What write_status_files last wrote for one program, so that it writes only what changed.
struct WrittenStatus {
  bool valid = false; // false: nothing known, write all three
  std::string pid;
  std::string stat;
  StatusBytes status{};
};

// Writes supervise/pid, supervise/stat and supervise/status, each atomically (temp + rename,
// like runsv's *.new files), skipping those whose bytes equal `last` (a rename is the
// expensive part: ext4 starts writeback of a file renamed over another). Returns false with
// errno set on the first failure, and then forgets `last`.
[[nodiscard]] bool write_status_files(const std::string& dir, const Status& status, Want want,
                                      WrittenStatus& last);

// supervise/ready: our extension for readiness notification; holds the pid that declared
// itself ready. Ours `sv -w` compares it with the pid in supervise/status.
void write_ready_file(const std::string& dir, pid_t pid);
void remove_ready_file(const std::string& dir);
// The pid in DIR/supervise/ready, 0 if none.
pid_t read_ready_file(const std::string& dir);

// The fd number in a `notification-fd` file (s6's readiness protocol): decimal, optional
// trailing newline, 3..1023 (0-2 are the service's stdio).
std::optional<int> parse_notification_fd(std::string_view text);
// Reads DIR/notification-fd. nullopt when there is none; `problem` set when it is bad.
std::optional<int> read_notification_fd(const std::string& dir, std::string& problem);

struct ServiceSpawn {
  std::string dir;               // cwd of the child
  int dir_fd = -1;               // if >= 0, the cwd instead of `dir` (survives a rename)
  std::vector<std::string> argv; // argv[0] is "./run", "./finish" (relative to dir)
  int stdin_fd = -1;             // -1: inherit
  int stdout_fd = -1;
  int stderr_fd = -1;
  int notify_fd = -1; // dup2'd onto notify_target when >= 0
  int notify_target = -1;
};

// common/spawn in its own session (runsv calls setsid() for run), SIG_DFL everywhere and an
// empty mask, with the supervisor's environment. Returns the pid, or -1 with `error` set
// (exec errors are reported here).
pid_t spawn_service(const ServiceSpawn& spec, int& error);

// Whether DIR/NAME exists as a regular file (finish, check).
bool has_regular_file(const std::string& dir, const char* name);
bool has_regular_file_at(int dir_fd, const char* name);

} // namespace cinit::supervisor
