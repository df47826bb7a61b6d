// An OCI or docker archive (a tar, bare or compressed as a whole) read in one pass, layers
// unpacked as they stream by: tools write the layers before the index or manifest.json that
// names them (skopeo's and podman's archives, Go's lexical walk of an OCI layout), so every
// blob that looks like a layer is unpacked into a temp dir of the store when it comes, and the
// importer keeps those its manifest lists. Small documents are kept in memory; nothing else is
// copied out.
#pragma once

#include "launcher/image/image_source.hpp"
#include "launcher/image/store.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace cinit::launcher {

// Layers copied into memory so that several unpack at once while the archive is read on: at
// most this much at a time. A bigger layer streams straight from the archive into its
// unpacker while the pass waits.
constexpr std::uint64_t default_spool_limit = 256 << 20;

// The archive at `path` as an image source, or nullptr when it is no image archive: an entry
// that no OCI or docker archive holds came before any manifest.json, index.json or oci-layout
// (a root filesystem tar; import_image checks that none of those follows). Throws SysError
// when the archive cannot be read.
std::unique_ptr<ImageSource> read_image_archive(const Store& store, const std::string& path,
                                                std::uint64_t spool_limit = default_spool_limit);

} // namespace cinit::launcher
