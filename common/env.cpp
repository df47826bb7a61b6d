#include "common/env.hpp"

#include "common/syscall.hpp"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace cinit {

Env env_from_strings(const char* const* envp) {
  Env env;
  for (; envp != nullptr && *envp != nullptr; ++envp) {
    const std::string_view entry = *envp;
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0)
      continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::vector<std::string> env_to_strings(const Env& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env)
    out.push_back(name + "=" + value);
  return out;
}

std::string env_file_value(std::string_view raw) {
  std::string value;
  value.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      value.push_back('\n');
      if (i + 1 < raw.size() && raw[i + 1] == '\n')
        ++i;
    } else {
      value.push_back(raw[i]);
    }
  }
  if (!value.empty() && value.back() == '\n')
    value.pop_back();
  return value;
}

bool valid_env_name(std::string_view name) {
  return !name.empty() && name.find('=') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

Env read_env_dir(const std::string& dir, const EnvWarn& warn) {
  Env env;
  const auto names = list_dir(dir);
  if (!names) {
    if (errno != ENOENT)
      warn(dir, std::strerror(errno));
    return env;
  }
  for (const std::string& name : *names) {
    if (name[0] == '.')
      continue;
    const std::string path = dir + "/" + name;
    if (!valid_env_name(name)) {
      warn(path, "not a valid variable name");
      continue;
    }
    const auto raw = read_regular_file(path, max_env_value);
    if (!raw) {
      const int err = errno;
      warn(path, err == EISDIR   ? "is a directory, not a variable file"
                 : err == EINVAL ? "is not a regular file"
                 : err == EFBIG  ? "is larger than " + std::to_string(max_env_value) + " bytes"
                                 : std::string(std::strerror(err)));
      continue;
    }
    if (raw->find('\0') != std::string::npos) {
      warn(path, "value contains a NUL byte");
      continue;
    }
    env[name] = env_file_value(*raw);
  }
  return env;
}

namespace {
bool is_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
} // namespace

std::string sh_quote(std::string_view value) {
  if (value.empty())
    return "''";
  bool bare = true;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (!is_word(c) && (c == 0 || std::strchr("@%+=:,./-", c) == nullptr)) {
      bare = false;
      break;
    }
  }
  if (bare)
    return std::string(value);
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'')
      out += "'\"'\"'";
    else
      out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string sh_sanitize_name(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (!is_word(static_cast<unsigned char>(c)))
      c = '_';
  return out;
}

bool env_dump_excluded(std::string_view name) {
  return name == "HOME" || name == "USER" || name == "GROUP" || name == "UID" || name == "GID" ||
         name == "SHELL";
}

std::string env_to_sh(const Env& env) {
  std::string out;
  for (const auto& [name, value] : env) {
    if (env_dump_excluded(name))
      continue;
    // A name starting with a digit is no shell variable: dash aborts the whole `. file` at
    // `export 1A=x` ("bad variable name"), so such a line would cost every other variable.
    if (name.empty() || (name[0] >= '0' && name[0] <= '9'))
      continue;
    out += "export " + sh_sanitize_name(name) + "=" + sh_quote(value) + "\n";
  }
  return out;
}

std::string env_to_json(const Env& env) {
  nlohmann::json obj = nlohmann::json::object();
  for (const auto& [name, value] : env)
    obj[name] = value;
  // Non-UTF-8 bytes cannot be JSON strings; they become U+FFFD rather than failing the dump.
  return obj.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

} // namespace cinit
