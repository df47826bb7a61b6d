#include "launcher/registry/challenge.hpp"

#include "common/ascii.hpp"

namespace cinit::launcher {
namespace {

// tchar (RFC 9110 §5.6.2).
bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

class Scanner {
public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void skip_space() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t'))
      ++i_;
  }
  void skip_space_and_commas() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ','))
      ++i_;
  }
  std::string_view token() {
    const std::size_t start = i_;
    while (!done() && token_char(s_[i_]))
      ++i_;
    return s_.substr(start, i_ - start);
  }
  // token68: a token plus '/' and trailing '='.
  std::string_view token68() {
    const std::size_t start = i_;
    while (!done() && (token_char(s_[i_]) || s_[i_] == '/'))
      ++i_;
    while (!done() && s_[i_] == '=')
      ++i_;
    return s_.substr(start, i_ - start);
  }
  std::string_view bare_value() {
    const std::size_t start = i_;
    while (!done() && s_[i_] != ',' && s_[i_] != ' ' && s_[i_] != '\t' && s_[i_] != '"')
      ++i_;
    return s_.substr(start, i_ - start);
  }
  // A quoted-string after its opening quote; false when it never closes.
  bool quoted(std::string& out) {
    for (; !done(); ++i_) {
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c == '\\' && i_ + 1 < s_.size())
        ++i_;
      out.push_back(s_[i_]);
    }
    return false;
  }
  void advance() { ++i_; }
  std::size_t pos() const { return i_; }
  void seek(std::size_t p) { i_ = p; }

private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// At "name = value": true with the pair read; otherwise false and the scanner unmoved.
bool auth_param(Scanner& in, std::string& name, std::string& value, bool& broken) {
  const std::size_t start = in.pos();
  const std::string_view n = in.token();
  in.skip_space();
  if (n.empty() || in.peek() != '=') {
    in.seek(start);
    return false;
  }
  in.advance();
  in.skip_space();
  // "abc==" is a token68, not the parameter "abc" with an empty value.
  if (in.done() || in.peek() == '=' || in.peek() == ',') {
    in.seek(start);
    return false;
  }
  name = ascii_lower(n);
  value.clear();
  if (in.peek() == '"') {
    in.advance();
    broken = !in.quoted(value);
  } else {
    // A token by the RFC; some servers send URLs unquoted: up to the next comma or space.
    value = std::string(in.bare_value());
  }
  return true;
}

} // namespace

std::vector<Challenge> parse_challenges(std::string_view header) {
  std::vector<Challenge> out;
  Scanner in(header);
  for (;;) {
    in.skip_space_and_commas();
    if (in.done())
      return out;
    const std::string_view scheme = in.token();
    if (scheme.empty())
      return out;
    Challenge ch;
    ch.scheme = ascii_lower(scheme);
    in.skip_space();
    // Either auth-params, or one token68 (kept under the empty name).
    std::string name;
    std::string value;
    bool broken = false;
    if (auth_param(in, name, value, broken)) {
      ch.params[name] = value;
      for (;;) {
        if (broken) {
          out.push_back(std::move(ch));
          return out;
        }
        in.skip_space();
        if (in.peek() != ',')
          break;
        const std::size_t comma = in.pos();
        in.skip_space_and_commas();
        if (!auth_param(in, name, value, broken)) {
          in.seek(comma); // the next challenge's scheme
          break;
        }
        ch.params.emplace(name, value); // the first of a repeated name counts
      }
    } else if (const std::string_view t = in.token68(); !t.empty()) {
      ch.params[""] = std::string(t);
    }
    out.push_back(std::move(ch));
    in.skip_space();
    if (!in.done() && in.peek() != ',')
      return out; // garbage: what was read so far stands
  }
}

} // namespace cinit::launcher
