// The password never passes through argv (every user's `ps` shows it) and is read from the
// terminal with echo off, restored on every way out; the file is replaced by rename(), so a
// reader (a pull running meanwhile) sees the old file or the new one, never half of it.
#include "launcher/registry/login.hpp"

#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/registry/ca_bundle.hpp"
#include "launcher/registry/credentials.hpp"
#include "launcher/registry/http.hpp"
#include "launcher/registry/reference.hpp"
#include "launcher/registry/registry.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <iostream>
#include <iterator>
#include <optional>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

namespace cinit::launcher {
namespace {

constexpr std::size_t max_auth_file = 4 << 20; // as find_credentials reads it
constexpr std::size_t max_secret = 64 << 10;   // registry tokens are long, not that long

// What the handler below restores: set while the echo is off. Signal plumbing, the one
// kind of global state we keep.
int g_echo_fd = -1;
termios g_echo_saved{};

constexpr int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// ^C at the password prompt must not leave the user's shell without echo: the settings go
// back (tcsetattr is async-signal-safe), then the signal does what it would have done.
void restore_echo_and_reraise(int sig) {
  if (g_echo_fd >= 0)
    (void)::tcsetattr(g_echo_fd, TCSANOW, &g_echo_saved);
  (void)::signal(sig, SIG_DFL);
  (void)::raise(sig);
}

// Turns a terminal's echo off, and back on when it goes out of scope (an exception, a
// refused password) or a signal ends the process.
class EchoOff {
public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0)
      throw SysError("unable to read the terminal's settings", {}, errno);
    g_echo_saved = saved_;
    g_echo_fd = fd_;
    struct sigaction sa {};
    sa.sa_handler = restore_echo_and_reraise;
    (void)sigemptyset(&sa.sa_mask);
    // Valid arguments: sigaction cannot fail. A signal we were started ignoring (nohup)
    // stays ignored.
    for (std::size_t i = 0; i < std::size(prompt_signals); ++i) {
      (void)::sigaction(prompt_signals[i], nullptr, &old_[i]);
      if (old_[i].sa_handler != SIG_IGN)
        (void)::sigaction(prompt_signals[i], &sa, nullptr);
    }
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    if (::tcsetattr(fd_, TCSAFLUSH, &quiet) != 0) {
      const int err = errno;
      restore();
      throw SysError("unable to turn the terminal's echo off", {}, err);
    }
  }
  ~EchoOff() { restore(); }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

private:
  void restore() {
    (void)::tcsetattr(fd_, TCSAFLUSH, &saved_); // nothing better to do on failure
    for (std::size_t i = 0; i < std::size(prompt_signals); ++i)
      (void)::sigaction(prompt_signals[i], &old_[i], nullptr);
    g_echo_fd = -1;
  }

  int fd_;
  termios saved_{};
  struct sigaction old_[std::size(prompt_signals)]{};
};

// One line from `fd`, without its newline (a CR before it dropped too). nullopt at EOF
// before any byte.
std::optional<std::string> read_line(int fd, const std::string& what) {
  std::string line;
  for (;;) {
    char c = 0;
    const ssize_t n = retry_eintr([&] { return ::read(fd, &c, 1); });
    if (n < 0)
      throw SysError("unable to read " + what, {}, errno);
    if (n == 0 && line.empty())
      return std::nullopt;
    if (n == 0 || c == '\n')
      break;
    line.push_back(c);
    if (line.size() > max_secret)
      throw SysError("unable to read " + what + ": longer than " + std::to_string(max_secret) +
                     " bytes");
  }
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

// The user's terminal (not stdin: a script may pipe something else in).
UniqueFd open_tty() {
  UniqueFd tty(retry_eintr([] { return ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC); }));
  if (!tty.valid())
    throw SysError("unable to read a password: no terminal (use --username and "
                   "--password-stdin)",
                   {}, errno);
  return tty;
}

// The prompt goes out after the echo is off: what the user types before that must not be
// shown, and TCSAFLUSH would throw it away.
std::string ask(int tty, const std::string& prompt, bool echo) {
  std::optional<std::string> answer;
  {
    std::optional<EchoOff> off;
    if (!echo)
      off.emplace(tty);
    if (!write_full(tty, prompt))
      throw SysError("unable to write to the terminal", {}, errno);
    answer = read_line(tty, echo ? "from the terminal" : "the password from the terminal");
  }
  if (!echo)
    (void)write_full(tty, "\n"); // the user's Enter was not echoed; cosmetic only
  if (!answer || answer->empty())
    throw SysError(std::string("unable to log in: no ") + (echo ? "user name" : "password") +
                   " given");
  return *answer;
}

std::string password_from_stdin() {
  const auto text = read_all(0);
  if (!text)
    throw SysError("unable to read the password from stdin", {}, errno);
  std::string p = *text;
  // As `docker login --password-stdin`: the trailing newline of `echo` is not part of it.
  while (!p.empty() && (p.back() == '\n' || p.back() == '\r'))
    p.pop_back();
  if (p.empty())
    throw SysError("unable to log in: no password on stdin");
  if (p.size() > max_secret)
    throw SysError("unable to log in: the password on stdin is over " + std::to_string(max_secret) +
                   " bytes");
  return p;
}

std::string auth_file_or_throw() {
  const std::string file = login_file();
  if (file.empty())
    throw SysError("unable to name an auth file: neither REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR "
                   "nor HOME is set");
  return file;
}

// The file's text, "" when there is none yet.
std::string read_auth_file(const std::string& file) {
  const auto text = read_regular_file(file, max_auth_file);
  if (text)
    return *text;
  if (errno == ENOENT)
    return {};
  throw SysError("unable to read", file, errno);
}

// podman's two default places sit one or two directories below a directory that exists
// ($XDG_RUNTIME_DIR, $HOME); made 0700, as podman makes them. A $REGISTRY_AUTH_FILE's
// directory is the user's to make.
void make_parent_dirs(const std::string& file) {
  if (const char* named = std::getenv("REGISTRY_AUTH_FILE"); named != nullptr && *named != '\0')
    return;
  const std::string dir = file.substr(0, file.rfind('/'));
  const std::string up = dir.substr(0, dir.rfind('/'));
  for (const std::string& d : {up, dir})
    if (!d.empty() && ::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST)
      throw SysError("unable to create directory", d, errno);
}

void write_auth_file(const std::string& file, const std::string& text) {
  make_parent_dirs(file);
  if (!write_file_atomic(file, text, 0600))
    throw SysError("unable to write", file, errno);
}

} // namespace

std::string registry_domain(std::string_view arg) {
  const std::string domain = registry_of_key(arg);
  const auto invalid = [&] {
    return SysError("invalid registry '" + std::string(arg) +
                    "': not HOST[:PORT] (a host name with a '.' or a port, or localhost)");
  };
  if (domain.empty())
    throw invalid();
  // The reference grammar decides what is a host: "REGISTRY/x" must put REGISTRY there.
  try {
    if (parse_reference(domain + "/x").domain != domain)
      throw invalid();
  } catch (const SysError&) {
    throw invalid();
  }
  return domain;
}

void login(const LoginOptions& opts) {
  const std::string domain = registry_domain(opts.registry);
  const std::string file = auth_file_or_throw();
  // A file we could not write back is refused before a password is asked for.
  const std::string before = read_auth_file(file);
  (void)auth_file_with(before, domain, "x", "x", file);
  std::string user = opts.user;
  std::string password;
  if (opts.password_stdin) {
    password = password_from_stdin();
  } else {
    const UniqueFd tty = open_tty();
    if (user.empty())
      user = ask(tty.get(), "Username: ", true);
    password = ask(tty.get(), "Password: ", false);
  }
  http_global_init();
  // No file yet: the refusal names the user name and password (Credentials::file empty).
  Registry registry(Reference{domain, {}, {}, {}}, Credentials{user, password, {}},
                    ca_bundle(domain), client_cert(domain));
  HttpClient http(registry.ca_pem());
  registry.check_login(http);
  // Read again: another login may have written meanwhile; its entries are kept too.
  write_auth_file(file, auth_file_with(read_auth_file(file), domain, user, password, file));
  std::cout << "Login Succeeded\n";
}

void logout(const LoginOptions& opts) {
  const std::string domain = registry_domain(opts.registry);
  const std::string file = auth_file_or_throw();
  const std::string text = read_auth_file(file);
  const auto without = text.empty() ? std::nullopt : auth_file_without(text, domain, file);
  if (!without)
    throw SysError("unable to log out of '" + domain + "': not logged in (no entry in '" + file +
                   "')");
  write_auth_file(file, *without);
  std::cout << "Removed login credentials for " << domain << '\n';
}

} // namespace cinit::launcher
