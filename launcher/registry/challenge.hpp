// `WWW-Authenticate` challenges (RFC 9110 §11.6.1): scheme, then a token68 or auth-params,
// several challenges in one header separated by commas.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cinit::launcher {

struct Challenge {
  std::string scheme;                        // lower-case: "basic", "bearer"
  std::map<std::string, std::string> params; // names lower-case, values unquoted
};

// Never throws: what cannot be read ends the list (a registry's odd header must not stop a
// pull that needs no auth).
std::vector<Challenge> parse_challenges(std::string_view header);

} // namespace cinit::launcher
