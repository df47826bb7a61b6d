// The content-addressed store under the data root:
//   layers/<sha256 hex>/   one unpacked layer, shared by every image that lists it
//   images/<name>.json     name, layer list (bottom first) and the config `run` needs
//   tmp/                   imports in progress (never seen by `images` or `run`)
//   mnt/                   where `run` mounts its private tmpfs (in its own mount namespace)
//   locks/<sha256 hex>     flock(2)ed by the one pull that fetches that layer
// A layer appears by rename() of a finished temp dir, an image by rename() of its file from
// a temp dir of its own (never a temp name shared with another import of that name): an
// interrupted import leaves only tmp/ debris, which the next import sweeps.
// Concurrency, with flock(2): imports hold the store's `lock` shared and `rm` holds it
// exclusive, so that rm never collects a layer an import has just found and reused; every
// `run` holds its layer directories shared for the container's life, and rm keeps (and a
// later rm collects) a layer that a running container still has under its root.
#pragma once

#include "common/unique_fd.hpp"
#include "launcher/config.hpp"
#include "launcher/image/oci.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace cinit::launcher {

struct Image {
  std::string name;
  std::vector<std::string> layers; // hex digests, bottom layer first
  ImageConfig config;
};

// Filesystems whose statfs magic says they cannot hold overlay layers (NFS, SMB, Lustre,
// GPFS, FUSE, ...). Public for the unit test.
bool unsuitable_for_layers(long fs_magic);

// The data root to use: config's data_root, else $XDG_DATA_HOME/launcher
// (~/.local/share/launcher); on an unsuitable filesystem /var/tmp/launcher-$UID, said once.
std::string choose_data_root(const Config& cfg);

// Image names: [A-Za-z0-9][A-Za-z0-9._:@/+-]*, at most 200 bytes, no "..", and short enough
// for their record's file name (each '/' counts three).
constexpr std::size_t max_image_name = 200;
bool valid_image_name(std::string_view name);

class Store {
public:
  // Creates the directories (mode 0700) if needed.
  explicit Store(std::string root);
  const std::string& root() const { return root_; }
  std::string layer_path(const std::string& hex) const { return root_ + "/layers/" + hex; }
  std::string layers_dir() const { return root_ + "/layers"; }
  std::string mnt_dir() const { return root_ + "/mnt"; }
  bool has_layer(const std::string& hex) const;
  // A fresh private directory under tmp/.
  std::string make_temp_dir(const std::string& prefix) const;
  // Moves a finished temp dir to layers/<hex>; if another import won the race, drops ours.
  void commit_layer(const std::string& tmp, const std::string& hex) const;
  void save_image(const Image& img) const;
  // NAME without a tag falls back to NAME:latest (as docker).
  std::optional<Image> load_image(const std::string& name) const;
  std::vector<Image> list_images() const;
  // Removes the image, then every layer no image lists and no container runs on (those are
  // kept, said, and collected by a later call). False if no such image.
  bool remove_image(const std::string& name) const;
  // The store-wide lock: shared for imports, exclusive for rm (which waits, and says so).
  UniqueFd lock(bool exclusive) const;
  // Held (exclusive) while one process fetches and unpacks layer `hex`: a concurrent pull of
  // the same layer waits (saying so), then finds it in the store. Lock files stay in locks/.
  UniqueFd lock_layer(const std::string& hex) const;
  // Holds the layers shared for as long as the returned fds stay open (a running container).
  std::vector<UniqueFd> pin_layers(const std::vector<std::string>& hexes) const;
  // Removes leftovers of interrupted imports (tmp/ entries whose process is gone).
  void sweep_temp() const;
  // Says `message` on stderr unless it was said before for this data root (marker file).
  void warn_once(const std::string& topic, const std::string& message) const;

private:
  std::string image_file(const std::string& name) const;
  std::string root_;
};

// A temp dir of the store (tmp/), removed on scope exit unless released: an interrupted or
// failed import or pull leaves nothing but what sweep_temp() collects later.
class TempDir {
public:
  TempDir(const Store& store, const std::string& prefix) : path_(store.make_temp_dir(prefix)) {}
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  void release() { path_.clear(); }

private:
  std::string path_;
};

} // namespace cinit::launcher
