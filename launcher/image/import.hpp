// `launcher import`: recognises the source (OCI layout dir or archive, docker-save tar, rootfs
// dir or tar), verifies and unpacks its layers into the store, then records the image.
#pragma once

#include "launcher/cli.hpp"
#include "launcher/image/store.hpp"

#include <string>

namespace cinit::launcher {

// Runs inside the user namespace (so that owners from the layers can be applied). Prints
// "NAME" on success. Throws SysError.
int import_image(const Store& store, const ImportOptions& opts);

// A store name from a file or dir name: extension (.tar, .tar.gz, .tgz, .oci) dropped,
// invalid characters replaced by '-'. Public for the unit test.
std::string default_image_name(const std::string& source);

} // namespace cinit::launcher
