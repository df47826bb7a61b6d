// The container environment model: my_init's /etc/container_environment directory, its
// `.sh` and `.json` dumps, and the process environment, as one ordered name -> value map.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cinit {

using Env = std::map<std::string, std::string>;

// Called with (path, problem) for each entry that is skipped.
using EnvWarn = std::function<void(const std::string& path, const std::string& problem)>;

// "NAME=value" strings (environ) -> Env. Entries without '=' are dropped.
Env env_from_strings(const char* const* envp);
std::vector<std::string> env_to_strings(const Env& env);

// my_init's value rule: "\r\n" and lone "\r" become "\n" (Python universal newlines), then
// exactly one trailing "\n" is removed.
std::string env_file_value(std::string_view raw);

// A name that may become an environment variable: non-empty, no '=' and no NUL.
bool valid_env_name(std::string_view name);

// The largest value an env file may hold: the kernel refuses any exec whose single
// "NAME=value" string exceeds MAX_ARG_STRLEN (128 KiB), so a larger one would break every
// later exec instead of just itself.
inline constexpr std::size_t max_env_value = 128 * 1024 - 4096;

// Reads every regular file in `dir` (byte order). Subdirectories, unreadable files, invalid
// names and values with NUL bytes are reported through `warn` and skipped; names starting
// with '.' are hidden files (and our temp files) and are ignored. A missing dir yields {}.
Env read_env_dir(const std::string& dir, const EnvWarn& warn);

// Shell quoting that `sh` reads back as the exact bytes: '' for empty, bare for
// [A-Za-z0-9_@%+=:,./-]+, else single quotes with ' written as '"'"' (as my_init).
std::string sh_quote(std::string_view value);
// Every character outside [A-Za-z0-9_] becomes '_' (my_init's \W -> _).
std::string sh_sanitize_name(std::string_view name);

// `export NAME=value` lines for every variable except those my_init never dumps and those
// whose name starts with a digit (no shell accepts them).
std::string env_to_sh(const Env& env);
// JSON object of the whole environment (HOME, USER, SHELL included, as my_init), ASCII-escaped.
std::string env_to_json(const Env& env);

// Variables my_init neither writes to the env dir nor to the .sh dump.
bool env_dump_excluded(std::string_view name);

} // namespace cinit
