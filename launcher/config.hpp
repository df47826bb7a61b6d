// launcher.ini (inih): /etc/launcher/launcher.ini, then ~/.config/launcher/launcher.ini, each
// key overriding the previous file's; `bind` lines add up. LAUNCHER_CONFIG names the one file
// to read instead (tests, site wrappers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cinit::launcher {

struct Config {
  std::string data_root;          // empty: $XDG_DATA_HOME/launcher
  std::vector<std::string> binds; // "SRC:DST[:ro]", applied before -v
  std::string gpus;               // default for --gpus
};

// Parses one file's text into `cfg`. Keys, in no section or in [launcher]: data_root, gpus,
// bind (repeatable). Throws SysError "unable to parse 'FILE': line N: key 'K': why".
void parse_config(std::string_view text, const std::string& file, Config& cfg);

// Reads the files in order; a missing file is fine, an unreadable one is an error.
Config load_config();

// "SRC:DST[:ro]" -> parts; throws SysError naming `what` when malformed.
struct BindSpec {
  std::string source;
  std::string target;
  bool read_only = false;
};
BindSpec parse_bind(std::string_view spec, std::string_view what);

} // namespace cinit::launcher
