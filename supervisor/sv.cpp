// `sv`: runit's sv for our supervisor (and for runsv): sends letters to supervise/control
// and reads supervise/status. Same commands, output (on stdout) and exit codes as runit
// 2.1.2's sv; `-w` waits also for readiness; `status --json` for programs.
#include "supervisor/sv.hpp"

#include "common/log.hpp"
#include "common/seconds.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "supervisor/service_dir.hpp"
#include "supervisor/status.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace cinit::supervisor {
namespace {

constexpr int usage_exit = 100;
constexpr const char* usage_text = "usage: sv [-v] [-w sec] command service ...\n";

struct Action {
  std::string letters; // written to supervise/control; empty for status and check
  bool status = false;
  bool wait = false; // check the result (with -v, or always for start/stop/...)
  bool kill_on_timeout = false;
};

// One service named on the command line.
struct Target {
  std::string name; // as given: it is what sv prints
  std::string path;
  bool done = false;
};

// runit prints libowfat's error texts, not strerror's: keep its words for the usual ones.
std::string error_str(int err) {
  switch (err) {
  case ENOENT:
    return "file does not exist";
  case EACCES:
    return "access denied";
  case EPERM:
    return "permission denied";
  case ENOTDIR:
    return "not a directory";
  case EISDIR:
    return "is a directory";
  case ENXIO:
    return "device not configured";
  case ELOOP:
    return "symbolic link loop";
  case EIO:
    return "input/output error";
  default:
    return std::strerror(err);
  }
}

int g_rc = 0;
std::string g_out;

void flush_out() {
  (void)write_full(STDOUT_FILENO, g_out); // nowhere to report a failing stdout
  g_out.clear();
}

void line(const std::string& s) {
  g_out += s;
  g_out += '\n';
  flush_out();
}

void fail(const Target& t, const std::string& msg) {
  ++g_rc;
  line("fail: " + t.name + ": " + msg);
}

void warning(const Target& t, const std::string& msg) {
  ++g_rc;
  line("warning: " + t.name + ": " + msg);
}

timespec now_real() {
  timespec ts{};
  (void)clock_gettime(CLOCK_REALTIME, &ts); // cannot fail for CLOCK_REALTIME
  return ts;
}

// runit compares whole seconds, so a restart within the second of `sv restart` looks done
// before it happened; the status record has nanoseconds: use them.
bool before(const timespec& a, const Status& st) {
  const std::int64_t a_sec = a.tv_sec;
  return a_sec < st.unix_seconds ||
         (a_sec == st.unix_seconds && static_cast<std::uint32_t>(a.tv_nsec) < st.nanoseconds);
}

std::int64_t now_seconds() {
  timespec ts{};
  (void)clock_gettime(CLOCK_REALTIME, &ts); // cannot fail for CLOCK_REALTIME
  return ts.tv_sec;
}

// runit's svstatus_get: 1 with `out` filled, 0 when no supervisor runs (reported), -1 on
// an error (reported).
int read_status(const Target& t, const std::string& dir, bool exiting, Status& out) {
  const std::string ok = dir + "/supervise/ok";
  UniqueFd fd(retry_eintr([&] { return ::open(ok.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC); }));
  if (!fd.valid()) {
    if (errno == ENXIO) {
      if (exiting)
        line("ok: " + t.name + ": runsv not running");
      else
        fail(t, "runsv not running");
      return 0;
    }
    warning(t, std::string("unable to open supervise/ok: ") + error_str(errno));
    return -1;
  }
  const std::optional<std::string> bytes = read_file(dir + "/supervise/status");
  if (!bytes) {
    warning(t, std::string("unable to open supervise/status: ") + error_str(errno));
    return -1;
  }
  const std::optional<Status> st = decode_status(*bytes);
  if (!st) {
    warning(t, "unable to read supervise/status: bad format");
    return -1;
  }
  out = *st;
  return 1;
}

// Whether `down` is absent (runit's "normally up"); nullopt on a stat error.
std::optional<bool> normally_up(const std::string& dir) {
  struct stat st {};
  if (::stat((dir + "/down").c_str(), &st) == 0)
    return false;
  if (errno == ENOENT)
    return true;
  return std::nullopt;
}

std::string status_text(const Target& t, const std::string& dir, const std::string& name,
                        const Status& st) {
  const std::optional<bool> up = normally_up(dir);
  if (!up) {
    warning(t, std::string("unable to stat() ") + dir + "/down: " + error_str(errno));
    return {};
  }
  return format_status(name, st, *up, now_seconds());
}

// runit's checkscript: ./check decides, when the service has one.
bool check_script(const std::string& dir) {
  struct stat st {};
  if (::stat((dir + "/check").c_str(), &st) != 0)
    return errno == ENOENT;
  ServiceSpawn spec;
  spec.dir = dir;
  spec.argv = {"./check"};
  int err = 0;
  const pid_t pid = spawn_service(spec, err);
  if (pid < 0)
    return false;
  int wstatus = 0;
  if (retry_eintr([&] { return ::waitpid(pid, &wstatus, 0); }) != pid)
    return false;
  return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
}

// Our readiness: a service with notification-fd is up once it has written its newline.
bool is_ready(const std::string& dir, pid_t pid) {
  if (!has_regular_file(dir, "notification-fd"))
    return true;
  return read_ready_file(dir) == pid;
}

bool dir_exists(const std::string& path, int& err) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    err = errno;
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    err = ENOTDIR;
    return false;
  }
  return true;
}

int cmd_status(const Target& t) {
  Status st;
  const int r = read_status(t, t.path, false, st);
  if (r <= 0)
    return r;
  std::string out = status_text(t, t.path, t.name, st);
  const std::string log = t.path + "/log";
  int err = 0;
  if (dir_exists(log, err)) {
    Status ls;
    Target lt{t.name, log, false};
    // A failure here is reported on a line of its own, as runit's interleaving is unreadable.
    if (read_status(lt, log, false, ls) == 1)
      out += "; " + status_text(t, log, "log", ls);
  } else if (err != ENOENT) {
    out += std::string("; log: warning: unable to change directory: ") + error_str(err);
  }
  line(out);
  return 1;
}

nlohmann::json json_of(const std::string& dir, const Status& st) {
  const char* state = st.state == RunState::run      ? "run"
                      : st.state == RunState::finish ? "finish"
                                                     : "down";
  const std::int64_t age = std::max<std::int64_t>(0, now_seconds() - st.unix_seconds);
  nlohmann::json j = {
      {"state", st.pid != 0 ? state : "down"},
      {"pid", st.pid},
      {"seconds", age},
      {"normally_up", normally_up(dir).value_or(true)},
      {"want", st.want_up ? "up" : "down"},
      {"paused", st.paused},
      {"got_term", st.got_term},
  };
  if (has_regular_file(dir, "notification-fd"))
    j["ready"] = st.pid != 0 && read_ready_file(dir) == st.pid;
  return j;
}

nlohmann::json cmd_status_json(const Target& t) {
  nlohmann::json j = {{"name", t.name}, {"path", t.path}};
  int err = 0;
  if (!dir_exists(t.path, err)) {
    ++g_rc;
    j["supervised"] = false;
    j["error"] = std::string("unable to change to service directory: ") + error_str(err);
    return j;
  }
  const std::string ok = t.path + "/supervise/ok";
  UniqueFd fd(retry_eintr([&] { return ::open(ok.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC); }));
  const std::optional<std::string> bytes = read_file(t.path + "/supervise/status");
  const std::optional<Status> st = bytes ? decode_status(*bytes) : std::nullopt;
  if (!fd.valid() || !st) {
    ++g_rc;
    j["supervised"] = false;
    j["error"] = !fd.valid() && errno == ENXIO ? "runsv not running"
                 : !fd.valid()                 ? "unable to open supervise/ok"
                                               : "unable to read supervise/status";
    return j;
  }
  j["supervised"] = true;
  j.update(json_of(t.path, *st));
  const std::string log = t.path + "/log";
  j["log"] = nullptr;
  if (dir_exists(log, err)) {
    const std::optional<std::string> lb = read_file(log + "/supervise/status");
    if (const std::optional<Status> ls = lb ? decode_status(*lb) : std::nullopt)
      j["log"] = json_of(log, *ls);
  }
  return j;
}

// runit's control(): 1 sent, -1 not sent (reported).
int send(const Target& t, const std::string& letters) {
  Status st;
  if (read_status(t, t.path, letters == "x", st) <= 0)
    return -1;
  const std::string path = t.path + "/supervise/control";
  UniqueFd fd(retry_eintr([&] { return ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC); }));
  if (!fd.valid()) {
    if (errno == ENXIO) {
      if (letters == "x")
        line("ok: " + t.name + ": runsv not running");
      else
        fail(t, "runsv not running");
    } else {
      warning(t, std::string("unable to open supervise/control: ") + error_str(errno));
    }
    return -1;
  }
  if (!write_full(fd.get(), letters)) {
    warning(t, std::string("unable to write to supervise/control: ") + error_str(errno));
    return -1;
  }
  return 1;
}

// runit's check(): 1 reached (prints "ok: ..."), 0 not yet, -1 error.
int check(const Target& t, const std::string& letters, const timespec& start) {
  Status st;
  const int r = read_status(t, t.path, letters == "x", st);
  if (r < 0)
    return -1;
  for (const char a : letters) {
    if (r == 0)
      return a == 'x' ? 1 : -1;
    const bool has_pid = st.pid != 0;
    switch (a) {
    case 'x':
      return 0;
    case 'u':
      if (!has_pid || st.state != RunState::run || !check_script(t.path) ||
          !is_ready(t.path, st.pid))
        return 0;
      break;
    case 'd':
      if (has_pid || st.state != RunState::down)
        return 0;
      break;
    case 'C':
      if (has_pid && !check_script(t.path))
        return 0;
      break;
    case 't':
    case 'k':
      if (!has_pid && !st.want_up)
        break;
      if (!before(start, st) || !has_pid || st.got_term || !check_script(t.path))
        return 0;
      break;
    case 'o':
      if ((!has_pid && !before(start, st)) || (has_pid && st.want_up))
        return 0;
      break;
    default:
      break;
    }
  }
  const std::string text = status_text(t, t.path, t.name, st);
  line("ok: " + text);
  return 1;
}

// runit's table: the first letter decides (so `sv u x` works as `sv up x`).
std::optional<Action> parse_action(const std::string& name, bool verbose) {
  Action a;
  if (name.empty())
    return std::nullopt;
  switch (name[0]) {
  case 'x':
  case 'e':
    a.letters = "x";
    a.wait = verbose;
    return a;
  case 'X':
  case 'E':
    a.letters = "x";
    a.wait = true;
    a.kill_on_timeout = true;
    return a;
  case 'D':
    a.letters = "d";
    a.wait = true;
    a.kill_on_timeout = true;
    return a;
  case 'T':
    a.letters = "tc";
    a.wait = true;
    a.kill_on_timeout = true;
    return a;
  case 'c':
    if (name == "check") {
      a.letters = "C";
      a.wait = true;
      return a;
    }
    [[fallthrough]];
  case 'u':
  case 'd':
  case 'o':
  case 't':
  case 'p':
  case 'h':
  case 'a':
  case 'i':
  case 'k':
  case 'q':
  case '1':
  case '2':
    a.letters = name.substr(0, 1);
    a.wait = verbose;
    return a;
  case 's':
    if (name == "shutdown") {
      a.letters = "x";
      a.wait = true;
      return a;
    }
    if (name == "start") {
      a.letters = "u";
      a.wait = true;
      return a;
    }
    if (name == "stop") {
      a.letters = "d";
      a.wait = true;
      return a;
    }
    a.status = true;
    return a;
  case 'r':
    if (name == "restart") {
      a.letters = "tcu";
      a.wait = true;
      return a;
    }
    if (name == "reload") {
      a.letters = "h";
      a.wait = true;
      return a;
    }
    return std::nullopt;
  case 'f':
    if (name == "force-reload") {
      a.letters = "tc";
      a.wait = true;
      a.kill_on_timeout = true;
      return a;
    }
    if (name == "force-restart") {
      a.letters = "tcu";
      a.wait = true;
      a.kill_on_timeout = true;
      return a;
    }
    if (name == "force-shutdown") {
      a.letters = "x";
      a.wait = true;
      a.kill_on_timeout = true;
      return a;
    }
    if (name == "force-stop") {
      a.letters = "d";
      a.wait = true;
      a.kill_on_timeout = true;
      return a;
    }
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

[[noreturn]] void usage() {
  (void)write_full(STDERR_FILENO, std::string(usage_text) + "\n"); // runit adds an empty line
  std::exit(usage_exit);
}

} // namespace

int sv_main(int argc, char** argv) {
  set_program_name("sv");
  // runit's sv ignores a bad SVWAIT; a typo there should not turn into the default silently.
  const std::optional<double> svwait = seconds_from_env("SVWAIT", 7);
  if (!svwait)
    die(usage_exit, bad_seconds("SVWAIT", std::getenv("SVWAIT")));
  double wait_seconds = *svwait;
  bool verbose = false;
  bool json = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; ++i) {
    const std::string opt = argv[i];
    if (opt == "--") {
      ++i;
      break;
    }
    if (opt == "--json") {
      json = true;
    } else if (opt == "-v") {
      verbose = true;
    } else if (opt == "-w" || opt.rfind("-w", 0) == 0) {
      const char* value = opt == "-w" ? (i + 1 < argc ? argv[++i] : nullptr) : argv[i] + 2;
      if (value == nullptr)
        usage();
      const std::optional<double> w = parse_seconds(value);
      if (!w)
        die(usage_exit, bad_seconds("-w", value));
      wait_seconds = *w;
    } else if (opt == "-V") {
      log_line("sv: cinit");
    } else {
      usage();
    }
  }
  if (argc - i < 2)
    usage();
  const std::string action_name = argv[i++];
  std::vector<std::string> names;
  for (; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--json")
      json = true;
    else
      names.emplace_back(argv[i]);
  }
  if (names.empty())
    usage();
  const std::optional<Action> action = parse_action(action_name, verbose);
  if (!action || (json && !action->status))
    usage();

  const char* svdir_env = std::getenv("SVDIR");
  const std::string svdir = svdir_env != nullptr && *svdir_env != '\0' ? svdir_env : "/etc/service";
  const timespec start = now_real();
  const auto started = std::chrono::steady_clock::now();

  std::vector<Target> targets;
  for (const std::string& name : names) {
    targets.push_back(Target{name, service_path(svdir, name), false});
  }

  nlohmann::json list = nlohmann::json::array();
  for (Target& t : targets) {
    int err = 0;
    if (json) {
      list.push_back(cmd_status_json(t));
      continue;
    }
    if (!dir_exists(t.path, err)) {
      fail(t, std::string("unable to change to service directory: ") + error_str(err));
      t.done = true;
      continue;
    }
    if (action->status) {
      (void)cmd_status(t); // reports its own failures
      t.done = true;
    } else if (action->letters == "C") {
      // check sends nothing
    } else if (send(t, action->letters) < 0 || !action->wait) {
      t.done = true;
    }
  }
  if (json) {
    line(list.dump(2));
    return g_rc > 99 ? 99 : g_rc;
  }

  if (action->wait) {
    for (;;) {
      bool pending = false;
      const double waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      for (Target& t : targets) {
        if (t.done)
          continue;
        const int r = check(t, action->letters, start);
        if (r != 0) {
          t.done = true;
          continue;
        }
        if (waited > wait_seconds) {
          Status st;
          std::string text;
          if (read_status(t, t.path, false, st) == 1)
            text = status_text(t, t.path, t.name, st);
          if (action->kill_on_timeout) {
            line("kill: " + text);
            (void)send(t, "k");
          } else {
            ++g_rc;
            line("timeout: " + text);
          }
          t.done = true;
          continue;
        }
        pending = true;
      }
      if (!pending)
        break;
      // sv polls (runit: every 420 ms); a finer step makes `sv -w` return sooner.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return g_rc > 99 ? 99 : g_rc;
}

} // namespace cinit::supervisor
