// gres.conf and Slurm's host lists: a pure parser, no file access (the caller reads the file).
#include "launcher/gpu/gres.hpp"

#include "common/ascii.hpp"
#include "launcher/error.hpp"

#include <algorithm>

namespace cinit::launcher {

namespace {

constexpr std::size_t max_names = 65536;

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Splits at `sep` outside brackets.
std::vector<std::string_view> split_top(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '[')
      ++depth;
    else if (s[i] == ']')
      --depth;
    else if (s[i] == sep && depth == 0) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

std::string padded(unsigned long n, std::size_t width) {
  std::string s = std::to_string(n);
  if (s.size() < width)
    s.insert(0, width - s.size(), '0');
  return s;
}

// One name with bracket groups: the first group is expanded, the rest recursively.
void expand_one(std::string_view name, const std::string& what, std::vector<std::string>& out) {
  const std::size_t open = name.find('[');
  if (open == std::string_view::npos) {
    if (name.find(']') != std::string_view::npos)
      throw SysError(what + ": unbalanced ']' in '" + std::string(name) + "'");
    out.emplace_back(name);
    return;
  }
  const std::size_t close = name.find(']', open);
  if (close == std::string_view::npos)
    throw SysError(what + ": unbalanced '[' in '" + std::string(name) + "'");
  const std::string_view prefix = name.substr(0, open);
  const std::string_view rest = name.substr(close + 1);
  for (std::string_view range : split_top(name.substr(open + 1, close - open - 1), ',')) {
    const std::size_t dash = range.find('-');
    const std::string_view lo = range.substr(0, dash);
    const std::string_view hi = dash == std::string_view::npos ? lo : range.substr(dash + 1);
    if (!is_digits(lo) || !is_digits(hi) || lo.size() > 9 || hi.size() > 9)
      throw SysError(what + ": bad range '" + std::string(range) + "' in '" + std::string(name) +
                     "'");
    const unsigned long first = std::stoul(std::string(lo));
    const unsigned long last = std::stoul(std::string(hi));
    if (last < first || last - first >= max_names)
      throw SysError(what + ": bad range '" + std::string(range) + "' in '" + std::string(name) +
                     "'");
    for (unsigned long n = first; n <= last; ++n) {
      if (out.size() >= max_names)
        throw SysError(what + ": '" + std::string(name) + "' names too many");
      expand_one(std::string(prefix) + padded(n, lo.size()) + std::string(rest), what, out);
    }
  }
}

} // namespace

std::vector<std::string> expand_hostlist(std::string_view list, const std::string& what) {
  std::vector<std::string> out;
  for (std::string_view name : split_top(list, ','))
    if (!name.empty())
      expand_one(name, what, out);
  return out;
}

std::vector<std::string> gres_gpu_files(std::string_view text, const std::string& node,
                                        const std::string& path) {
  std::vector<std::string> files;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    line = line.substr(0, line.find('#'));
    const std::string where = path + ":" + std::to_string(line_no);
    std::string name;
    std::string file;
    bool for_node = true;
    std::size_t pos = 0;
    while (pos < line.size()) {
      if (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r') {
        ++pos;
        continue;
      }
      std::size_t end = pos;
      while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r')
        ++end;
      const std::string_view token = line.substr(pos, end - pos);
      pos = end;
      const std::size_t eq = token.find('=');
      if (eq == std::string_view::npos)
        continue; // not ours to judge: slurmd reads this file too
      const std::string key = ascii_lower(std::string(token.substr(0, eq)));
      const std::string_view value = token.substr(eq + 1);
      if (key == "nodename") {
        const std::vector<std::string> nodes = expand_hostlist(value, where);
        for_node = std::find(nodes.begin(), nodes.end(), node) != nodes.end();
      } else if (key == "name") {
        name = value;
      } else if (key == "file") {
        file = value;
      }
    }
    if (name != "gpu" || !for_node || file.empty())
      continue;
    for (std::string& f : expand_hostlist(file, where)) {
      if (files.size() >= max_names)
        throw SysError(where + ": too many GPU files");
      files.push_back(std::move(f));
    }
  }
  return files;
}

} // namespace cinit::launcher
