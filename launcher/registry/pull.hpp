// `launcher pull`: a reference's manifest resolved to one platform, its config and layers
// fetched, every blob verified (digest and size, each layer also against the config's
// diff_ids) as it streams into the unpacker, layers the store has never fetched again, and
// the image recorded only once all of it is in the store.
#pragma once

#include "launcher/cli.hpp"
#include "launcher/image/oci.hpp"
#include "launcher/image/store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cinit::launcher {

// Runs inside the user namespace, as import does. Returns the stored name (and prints it
// unless `print_name` is false). Throws SysError.
std::string pull_image(const Store& store, const PullOptions& opts, bool print_name = true);

// The store's name for a reference ("debian" -> "docker.io/library/debian:latest"), or
// nullopt if it is no valid reference. For `run REF`, which looks before it pulls.
std::optional<std::string> reference_name(const std::string& ref);

// "linux/arm64/v8" -> {linux, arm64, v8}; empty: this host's (from uname). Throws SysError.
Platform parse_platform(std::string_view spec);
// Whether an index entry's platform serves `want` (variant: equal when `want` names one;
// arm64's absent variant is v8).
bool platform_matches(const Platform& have, const Platform& want);

} // namespace cinit::launcher
