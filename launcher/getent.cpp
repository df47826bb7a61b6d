#include "launcher/getent.hpp"

#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"

#include <algorithm>
#include <sys/wait.h>

namespace cinit::launcher {
namespace {

// getent(1): 2 means "one or more supplied key could not be found in the database".
constexpr int getent_not_found = 2;

} // namespace

std::optional<std::string> getent(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"getent"};
  argv.insert(argv.end(), args.begin(), args.end());
  // The system's getent, not one a user's PATH puts first; every distribution has it in
  // /usr/bin (glibc's libc-bin, glibc-common), some also in /bin.
  const std::vector<std::string> env{"PATH=/usr/bin:/bin:/usr/sbin:/sbin"};
  Pipe out;
  if (!make_pipe(out))
    throw SysError("unable to make a pipe for", "getent", errno);
  SpawnOptions opts;
  opts.stdout_fd = out.write.get();
  const SpawnResult child = spawn(argv, env, opts);
  if (child.pid < 0)
    throw SysError("unable to run", "getent", child.error);
  out.write.reset(); // EOF once getent exits
  const std::optional<std::string> text = read_all(out.read.get());
  const int read_err = errno;
  int status = 0;
  if (retry_eintr([&] { return ::waitpid(child.pid, &status, 0); }) < 0)
    throw SysError("unable to wait for", "getent", errno);
  if (!text)
    throw SysError("unable to read the output of", "getent", read_err);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return text;
  if (WIFEXITED(status) && WEXITSTATUS(status) == getent_not_found)
    return std::nullopt;
  std::string cmd;
  for (const std::string& a : argv)
    cmd += (cmd.empty() ? "" : " ") + a;
  throw SysError("unable to look up: " + cmd + " exited with status " +
                 std::to_string(shell_status(status)));
}

std::optional<PasswdEntry> getent_user(uid_t uid) {
  const auto text = getent({"passwd", std::to_string(uid)});
  if (!text)
    return std::nullopt;
  return find_user_by_uid(parse_passwd(*text), uid);
}

std::vector<std::string> parse_ahosts(std::string_view text) {
  std::vector<std::string> out;
  // One line per address and socket type: "ADDRESS  STREAM|DGRAM|RAW  [NAME]".
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const std::string_view addr = line.substr(0, line.find_first_of(" \t"));
    if (addr.empty())
      continue;
    std::string entry = addr.find(':') == std::string_view::npos ? std::string(addr)
                                                                 : "[" + std::string(addr) + "]";
    if (std::find(out.begin(), out.end(), entry) == out.end())
      out.push_back(std::move(entry));
  }
  return out;
}

std::vector<std::string> getent_addresses(const std::string& host) {
  // "--" keeps a host that starts with '-' from being read as an option.
  const auto text = getent({"ahosts", "--", host});
  return text ? parse_ahosts(*text) : std::vector<std::string>{};
}

} // namespace cinit::launcher
