// The grammar is distribution/reference's (reference.go), without its regexps: a path of
// lower-case components joined by '.', '_', '__' or dashes; a tag of word characters, '.'
// and '-' (128 at most); a first component that is a host when it has a '.' or a ':' or is
// "localhost".
#include "launcher/registry/reference.hpp"

#include "launcher/error.hpp"

#include <cctype>
#include <string>

namespace cinit::launcher {
namespace {

constexpr std::string_view docker_hub = "docker.io";
constexpr std::size_t max_name = 255; // distribution's NameTotalLengthMax

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
  return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

[[noreturn]] void invalid(std::string_view ref, const std::string& why) {
  throw SysError("invalid image reference '" + std::string(ref) + "': " + why);
}

// [a-z0-9]+ ( ( '.' | '_' | '__' | '-'+ ) [a-z0-9]+ )*
bool valid_component(std::string_view c) {
  if (c.empty() || !lower_alnum(c.front()) || !lower_alnum(c.back()))
    return false;
  for (std::size_t i = 0; i < c.size();) {
    if (lower_alnum(c[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < c.size() && !lower_alnum(c[j]))
      ++j;
    const std::string_view sep = c.substr(i, j - i);
    const bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (sep != "." && sep != "_" && sep != "__" && !dashes)
      return false;
    i = j;
  }
  return true;
}

// A host name or IPv4 ([A-Za-z0-9-] labels joined by '.'), or a bracketed IPv6 address,
// with an optional ":port".
bool valid_domain(std::string_view d) {
  std::string_view host = d;
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1)
      return false;
    for (const char c : host.substr(1, close - 1))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
        return false;
    host = host.substr(close + 1);
    if (host.empty())
      return true;
    if (!host.starts_with(':'))
      return false;
  } else {
    const std::size_t colon = host.find(':');
    const std::string_view name = host.substr(0, colon);
    if (name.empty())
      return false;
    std::size_t start = 0;
    while (start <= name.size()) {
      const std::size_t dot = name.find('.', start);
      const std::string_view label =
          name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      if (label.empty() || !alnum(label.front()) || !alnum(label.back()))
        return false;
      for (const char c : label)
        if (!alnum(c) && c != '-')
          return false;
      if (dot == std::string_view::npos)
        break;
      start = dot + 1;
    }
    host = colon == std::string_view::npos ? std::string_view{} : host.substr(colon);
    if (host.empty())
      return true;
  }
  const std::string_view port = host.substr(1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos)
    return false;
  const int n = std::stoi(std::string(port));
  return n >= 1 && n <= 65535;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128)
    return false;
  const auto word = [](char c) { return alnum(c) || c == '_'; };
  if (!word(t.front()))
    return false;
  for (const char c : t)
    if (!word(c) && c != '.' && c != '-')
      return false;
  return true;
}

bool valid_digest(std::string_view d) {
  constexpr std::string_view prefix = "sha256:";
  if (!d.starts_with(prefix) || d.size() != prefix.size() + 64)
    return false;
  for (const char c : d.substr(prefix.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

} // namespace

std::string Reference::name() const {
  std::string s = domain + "/" + repository;
  if (!tag.empty())
    s += ":" + tag;
  if (!digest.empty())
    s += "@" + digest;
  return s;
}

std::string Reference::api_host() const {
  if (domain == docker_hub)
    return "registry-1.docker.io";
  if (domain.starts_with('['))
    return domain.substr(1, domain.find(']') - 1);
  return domain.substr(0, domain.find(':'));
}

int Reference::api_port() const {
  const std::size_t close = domain.starts_with('[') ? domain.find(']') : 0;
  const std::size_t colon = domain.find(':', close);
  if (colon == std::string::npos)
    return 443;
  return std::stoi(domain.substr(colon + 1)); // validated digits, at most 65535
}

Reference parse_reference(std::string_view ref) {
  const std::string_view whole = ref;
  if (ref.starts_with("docker://"))
    ref.remove_prefix(9);
  if (ref.empty())
    invalid(whole, "empty");
  Reference r;
  if (const std::size_t at = ref.find('@'); at != std::string_view::npos) {
    r.digest = std::string(ref.substr(at + 1));
    if (!valid_digest(r.digest))
      invalid(whole, "the digest must be sha256: and 64 lower-case hex digits");
    ref = ref.substr(0, at);
  }
  // A tag is after the last ':' that comes after the last '/' (a ':' before is a port).
  const std::size_t slash = ref.rfind('/');
  const std::size_t colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    r.tag = std::string(ref.substr(colon + 1));
    if (!valid_tag(r.tag))
      invalid(whole, "invalid tag '" + r.tag + "'");
    ref = ref.substr(0, colon);
  }
  std::string_view path = ref;
  const std::size_t first = ref.find('/');
  if (first != std::string_view::npos) {
    const std::string_view head = ref.substr(0, first);
    if (head.find_first_of(".:[") != std::string_view::npos || head == "localhost") {
      if (!valid_domain(head))
        invalid(whole, "invalid registry host '" + std::string(head) + "'");
      r.domain = std::string(head);
      path = ref.substr(first + 1);
    }
  }
  if (r.domain.empty() || r.domain == "index.docker.io")
    r.domain = std::string(docker_hub);
  if (path.empty())
    invalid(whole, "no repository name");
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = path.find('/', start);
    const std::string_view c =
        path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!valid_component(c))
      invalid(whole, c.empty() ? "empty path component"
                               : "invalid repository name '" + std::string(path) +
                                     "' (lower-case letters, digits and separators only)");
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  r.repository = std::string(path);
  if (r.domain == docker_hub && r.repository.find('/') == std::string::npos)
    r.repository = "library/" + r.repository;
  if (r.tag.empty() && r.digest.empty())
    r.tag = "latest";
  if (r.domain.size() + 1 + r.repository.size() > max_name)
    invalid(whole, "name longer than 255 characters");
  return r;
}

} // namespace cinit::launcher
