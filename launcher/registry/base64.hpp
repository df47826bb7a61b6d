// Base64 (RFC 4648, standard alphabet, padded) for Basic auth and Docker's credential files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cinit::launcher {

std::string base64_encode(std::string_view in);
// nullopt on a character outside the alphabet or a bad length; whitespace is not allowed.
std::optional<std::string> base64_decode(std::string_view in);

} // namespace cinit::launcher
