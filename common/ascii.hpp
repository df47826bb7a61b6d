// ASCII case folding for protocol and identifier text (HTTP header names, auth schemes, GPU
// UUIDs): locale-free, unlike std::tolower, so a static program's "C" locale never matters.
#pragma once

#include <string>
#include <string_view>

namespace cinit {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

} // namespace cinit
