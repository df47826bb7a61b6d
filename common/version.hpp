// The one version string every program prints for --version.
#pragma once

namespace cinit {
inline constexpr const char* version = "0.1.0";
} // namespace cinit
