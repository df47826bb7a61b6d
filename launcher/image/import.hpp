// `launcher import`: recognises the source (OCI layout dir or archive, docker-save tar, rootfs
// dir or tar), verifies and unpacks its layers into the store, then records the image.
#pragma once

#include "launcher/cli.hpp"
#include "launcher/image/store.hpp"

#include <optional>
#include <string>

namespace cinit::launcher {

// Runs inside the user namespace (so that owners from the layers can be applied). Prints
// "NAME" on success. Throws SysError.
int import_image(const Store& store, const ImportOptions& opts);

// `launcher run PATH`: when IMAGE is a path (it starts with '/', "./" or "../") to something
// import takes (DIR, DIR:TAG, an archive), the store name it is imported under on first use:
// "local/<hash of its real path and tag>/<file name>[:TAG]", the same for every task on a
// node. nullopt when IMAGE is no such path (a store name or a reference).
std::optional<std::string> run_source_name(const std::string& image);

// A store name from a file or dir name: extension (.tar, .tar.gz, .tgz, .oci) dropped,
// invalid characters replaced by '-'. Public for the unit test.
std::string default_image_name(const std::string& source);

} // namespace cinit::launcher
