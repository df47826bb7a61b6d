// The SPANK plugin's options, checked and turned into `launcher run` arguments. No Slurm
// header here: the unit tests link this file without libslurm-dev.
#include "spank/options.hpp"

namespace cinit::spank {

namespace {

// One mount entry, SRC[:DST[:ro|rw]], as the launcher's `-v SRC:DST[:ro]`; "" when invalid.
struct Mount {
  std::string volume;
  std::string error;
};

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos)
      return parts;
    start = end + 1;
  }
}

Mount parse_mount(std::string_view entry) {
  const std::vector<std::string_view> parts = split(entry, ':');
  if (entry.empty() || parts.size() > 3)
    return {{}, "'" + std::string(entry) + "' is not SRC[:DST[:ro|rw]]"};
  for (size_t i = 0; i < parts.size() && i < 2; ++i)
    if (parts[i].empty() || parts[i].front() != '/')
      return {{},
              (parts.size() == 1 ? "" : "'" + std::string(entry) + "': ") + "'" +
                  std::string(parts[i]) + "' is not an absolute path"};
  const std::string src(parts[0]);
  const std::string dst(parts.size() > 1 ? parts[1] : parts[0]);
  if (parts.size() == 3 && parts[2] != "ro" && parts[2] != "rw")
    return {{},
            "'" + std::string(entry) + "': unknown flag '" + std::string(parts[2]) +
                "' (ro or rw)"};
  return {src + ':' + dst + (parts.size() == 3 && parts[2] == "ro" ? ":ro" : ""), {}};
}

} // namespace

std::string image_error(std::string_view image) {
  if (image.empty())
    return "an image name, registry reference or path is needed";
  if (image.find('\n') != std::string_view::npos)
    return "a newline is not allowed";
  return {};
}

std::string mounts_error(std::string_view mounts) {
  if (mounts.find('\n') != std::string_view::npos)
    return "a newline is not allowed";
  for (const std::string_view entry : split(mounts, ','))
    if (Mount m = parse_mount(entry); !m.error.empty())
      return m.error;
  return {};
}

std::string workdir_error(std::string_view workdir) {
  if (workdir.empty() || workdir.front() != '/')
    return "'" + std::string(workdir) + "' is not an absolute path";
  if (workdir.find('\n') != std::string_view::npos)
    return "a newline is not allowed";
  return {};
}

std::vector<std::string> launcher_argv(const std::string& launcher, const ContainerOptions& opts,
                                       const std::string& script) {
  std::vector<std::string> argv{launcher, "run"};
  if (!opts.mounts.empty())
    for (const std::string_view entry : split(opts.mounts, ','))
      argv.insert(argv.end(), {"-v", parse_mount(entry).volume});
  if (!script.empty())
    argv.insert(argv.end(), {"-v", script + ':' + script + ":ro"});
  if (!opts.workdir.empty())
    argv.insert(argv.end(), {"-w", opts.workdir});
  argv.push_back(opts.image);
  return argv;
}

std::string join_lines(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& p : parts) {
    if (!text.empty())
      text += '\n';
    text += p;
  }
  return text;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  if (text.empty())
    return lines;
  for (const std::string_view line : split(text, '\n'))
    lines.emplace_back(line);
  return lines;
}

} // namespace cinit::spank
