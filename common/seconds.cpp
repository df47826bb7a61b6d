#include "common/seconds.hpp"

#include <cstdlib>

namespace cinit {

std::optional<double> parse_seconds(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\n";
  const std::size_t first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos)
    return std::nullopt;
  text = text.substr(first, text.find_last_not_of(blanks) - first + 1);
  // Digits with at most one '.', and at least one digit: what is left for strtod cannot be
  // "nan", "inf", hex, an exponent or a sign, which it would all accept.
  std::size_t digits = 0;
  std::size_t dots = 0;
  for (const char c : text) {
    if (c >= '0' && c <= '9')
      ++digits;
    else if (c == '.')
      ++dots;
    else
      return std::nullopt;
  }
  if (digits == 0 || dots > 1 || text.size() > 32)
    return std::nullopt;
  const std::string copy(text); // strtod needs a terminated string
  const double value = std::strtod(copy.c_str(), nullptr);
  if (!(value <= max_seconds))
    return std::nullopt;
  return value;
}

std::optional<double> seconds_from_env(const char* name, double fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0')
    return fallback;
  return parse_seconds(value);
}

std::string bad_seconds(std::string_view name, std::string_view value) {
  std::string out = "invalid ";
  out.append(name).append(" '").append(value).append("': expected a number of seconds");
  return out;
}

} // namespace cinit
