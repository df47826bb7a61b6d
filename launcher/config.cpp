#include "launcher/config.hpp"

#include "common/syscall.hpp"
#include "launcher/error.hpp"

#include <cerrno>
#include <cstdlib>
#include <ini.h>

namespace cinit::launcher {
namespace {

struct ParseState {
  Config* cfg = nullptr;
  std::string key;   // the key that was refused
  std::string error; // why
};

int on_entry(void* user, const char* section, const char* name, const char* value) {
  auto* st = static_cast<ParseState*>(user);
  const std::string_view sec = section != nullptr ? section : "";
  const std::string_view key = name != nullptr ? name : "";
  const std::string_view val = value != nullptr ? value : "";
  // inih goes on after an error and reports the first one's line: keep the first key and
  // reason with it, and take nothing from the lines after it.
  if (!st->error.empty())
    return 0;
  const auto refuse = [&](std::string why) {
    st->key = std::string(key);
    st->error = std::move(why);
    return 0;
  };
  if (!sec.empty() && sec != "launcher")
    return refuse("unknown section [" + std::string(sec) + "]");
  try {
    if (key == "data_root") {
      if (!val.starts_with('/'))
        return refuse("must be an absolute path");
      st->cfg->data_root = std::string(val);
    } else if (key == "gpus") {
      st->cfg->gpus = std::string(val);
    } else if (key == "bind") {
      (void)parse_bind(val, "bind"); // validate now, where the line number is known
      st->cfg->binds.emplace_back(val);
    } else {
      return refuse("unknown key");
    }
  } catch (const SysError& e) {
    return refuse(e.what());
  }
  return 1;
}

} // namespace

void parse_config(std::string_view text, const std::string& file, Config& cfg) {
  ParseState st;
  st.cfg = &cfg;
  const std::string copy(text); // inih wants a NUL-terminated string
  const int line = ini_parse_string(copy.c_str(), on_entry, &st);
  if (line == 0)
    return;
  std::string msg = "unable to parse '" + file + "': line " + std::to_string(line);
  if (!st.error.empty())
    msg += ": key '" + st.key + "': " + st.error;
  else
    msg += ": syntax error";
  throw SysError(msg);
}

Config load_config() {
  std::vector<std::string> files;
  if (const char* only = std::getenv("LAUNCHER_CONFIG"); only != nullptr && *only != '\0') {
    files.emplace_back(only);
  } else {
    files.emplace_back("/etc/launcher/launcher.ini");
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/')
      files.push_back(std::string(xdg) + "/launcher/launcher.ini");
    else if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/')
      files.push_back(std::string(home) + "/.config/launcher/launcher.ini");
  }
  Config cfg;
  for (const auto& f : files) {
    const auto text = read_file(f);
    if (!text) {
      if (errno == ENOENT)
        continue;
      throw SysError("unable to read", f, errno);
    }
    parse_config(*text, f, cfg);
  }
  return cfg;
}

BindSpec parse_bind(std::string_view spec, std::string_view what) {
  BindSpec b;
  const std::size_t c1 = spec.find(':');
  if (c1 == std::string_view::npos)
    throw SysError("invalid " + std::string(what) + " '" + std::string(spec) +
                   "': expected SRC:DST[:ro]");
  b.source = std::string(spec.substr(0, c1));
  std::string_view rest = spec.substr(c1 + 1);
  const std::size_t c2 = rest.find(':');
  if (c2 != std::string_view::npos) {
    const std::string_view opt = rest.substr(c2 + 1);
    if (opt == "ro")
      b.read_only = true;
    else if (opt != "rw")
      throw SysError("invalid " + std::string(what) + " '" + std::string(spec) +
                     "': option must be ro or rw");
    rest = rest.substr(0, c2);
  }
  b.target = std::string(rest);
  if (b.source.empty() || !b.target.starts_with('/'))
    throw SysError("invalid " + std::string(what) + " '" + std::string(spec) +
                   "': SRC must be given and DST must be absolute");
  return b;
}

} // namespace cinit::launcher
