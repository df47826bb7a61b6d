// Where `launcher import` reads an image from: an OCI layout or docker-save directory, or an
// OCI or docker archive read in one pass (image_archive.cpp). The formats' logic (index,
// manifests, config, layer order) is the importer's; a source gives files and layers by the
// path the format names ("index.json", "blobs/sha256/<hex>", "<id>/layer.tar").
#pragma once

#include "launcher/image/store.hpp"

#include <string>
#include <vector>

namespace cinit::launcher {

// What a layer's bytes must hash to (hex; empty: not checked). At least one is set.
struct LayerCheck {
  std::string sha256;  // of the blob as stored (compressed or not)
  std::string diff_id; // of the uncompressed tar
};

// One layer of an image: where the source has it, the store's key for it, its digests.
struct LayerRef {
  std::string path;
  std::string key;
  LayerCheck check;
};

class ImageSource {
public:
  virtual ~ImageSource() = default;
  // A regular file at `path` (no symlinks followed out of the source).
  virtual bool has(const std::string& path) const = 0;
  // A JSON document (at most 64 MiB). Throws SysError naming the source and the path.
  virtual std::string text(const std::string& path) const = 0;
  // Puts each layer into the store under its key (a hex digest) unless it is there, verified
  // by its check. Throws SysError.
  virtual void add_layers(const std::vector<LayerRef>& layers) = 0;
};

} // namespace cinit::launcher
