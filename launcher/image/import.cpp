#include "launcher/image/import.hpp"

#include "common/log.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/image/image_archive.hpp"
#include "launcher/image/image_source.hpp"
#include "launcher/image/sha256.hpp"
#include "launcher/image/unpack.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cctype>
#include <cstdlib>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace cinit::launcher {
namespace {

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// JSON of an image (index, manifests, config): far below this; a bigger file is no image's.
constexpr off_t max_json_size = 64 << 20;

// A regular file only, never through a symlink (image archives are untrusted; a FIFO would
// block the import), and no bigger than any image's JSON.
std::string read_text(const std::string& path) {
  UniqueFd fd(retry_eintr(
      [&] { return ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); }));
  if (!fd.valid())
    throw SysError("unable to read", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw SysError("unable to read", path, errno);
  if (!S_ISREG(st.st_mode))
    throw SysError("unable to read '" + path + "': not a regular file");
  if (st.st_size > max_json_size)
    throw SysError("unable to read '" + path + "': larger than 64 MiB");
  const auto t = read_all(fd.get());
  if (!t)
    throw SysError("unable to read", path, errno);
  return *t;
}

// An OCI layout or a docker-save tree on disk.
class DirSource final : public ImageSource {
public:
  DirSource(const Store& store, std::string dir) : store_(store), dir_(std::move(dir)) {}
  bool has(const std::string& path) const override { return exists(dir_ + "/" + path); }
  std::string text(const std::string& path) const override { return read_text(dir_ + "/" + path); }
  // Several layers at once (unpack_parallelism).
  void add_layers(const std::vector<LayerRef>& layers) override {
    std::vector<const LayerRef*> todo;
    for (const auto& l : layers)
      if (!store_.has_layer(l.key) &&
          std::none_of(todo.begin(), todo.end(),
                       [&](const LayerRef* t) { return t->key == l.key; }))
        todo.push_back(&l);
    std::mutex mu;
    std::size_t next = 0;
    std::exception_ptr error;
    const auto worker = [&] {
      for (;;) {
        const LayerRef* l = nullptr;
        {
          const std::lock_guard<std::mutex> lock(mu);
          if (next == todo.size() || error)
            return;
          l = todo[next++];
        }
        try {
          add_layer(*l);
        } catch (...) {
          const std::lock_guard<std::mutex> lock(mu);
          if (!error)
            error = std::current_exception();
        }
      }
    };
    const std::size_t n = std::min(todo.size(), unpack_parallelism());
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < n; ++i)
      threads.emplace_back(worker);
    worker();
    for (auto& t : threads)
      t.join();
    if (error)
      std::rethrow_exception(error);
  }

private:
  void add_layer(const LayerRef& l) const {
    TempDir tmp(store_, "layer");
    const UnpackResult r = unpack_archive(dir_ + "/" + l.path, tmp.path(),
                                          {.layer = true,
                                           .expect_sha256 = l.check.sha256,
                                           .expect_diff_id = l.check.diff_id,
                                           .compute_diff_id = false});
    warn_unpack_result(r, "layer sha256:" + l.key);
    store_.commit_layer(tmp.path(), l.key);
    tmp.release();
  }

  const Store& store_;
  std::string dir_;
};

// Reads a blob and checks it against its digest.
std::string read_blob(const ImageSource& src, const std::string& source, const std::string& hex) {
  const std::string path = "blobs/sha256/" + hex;
  std::string text = src.text(path);
  const std::string got = sha256_hex(text);
  if (got != hex)
    throw SysError("unable to verify '" + source + "' entry '" + path +
                   "': digest is sha256:" + got);
  return text;
}

std::string join_name(const std::string& base, const std::string& tag) {
  if (tag.empty())
    return base;
  // A full reference ("docker.io/library/busybox:1.36") names itself.
  if (tag.find(':') != std::string::npos || tag.find('/') != std::string::npos)
    return tag;
  return base + ":" + tag;
}

Image import_oci(ImageSource& src, const std::string& source, const std::string& tag,
                 const std::string& base_name) {
  Manifest index = parse_manifest(src.text("index.json"), source + "/index.json");
  if (!index.is_index || index.manifests.empty())
    throw SysError("unable to import '" + source + "': index.json lists no manifests");
  const Descriptor* chosen = nullptr;
  for (const auto& d : index.manifests)
    if (tag.empty() || d.ref_name == tag) {
      chosen = &d;
      break;
    }
  if (chosen == nullptr)
    throw SysError("unable to find tag '" + tag + "' in", source, ENOENT);
  const std::string ref = chosen->ref_name;
  // Nested indexes (multi-platform images): take the first manifest, depth-limited.
  Manifest m = parse_manifest(read_blob(src, source, chosen->digest), chosen->digest);
  for (int depth = 0; m.is_index; ++depth) {
    if (depth > 4 || m.manifests.empty())
      throw SysError("unable to import '" + source + "': no image manifest in the index");
    const std::string hex = m.manifests.front().digest;
    m = parse_manifest(read_blob(src, source, hex), hex);
  }
  Image img;
  img.name = join_name(base_name, ref);
  img.config = parse_image_config(read_blob(src, source, m.config.digest), m.config.digest);
  std::vector<LayerRef> layers;
  for (const auto& l : m.layers) {
    layers.push_back({"blobs/sha256/" + l.digest, l.digest, {.sha256 = l.digest, .diff_id = {}}});
    img.layers.push_back(l.digest);
  }
  src.add_layers(layers);
  return img;
}

// docker save's layout and skopeo's/podman's (<digest>.tar layers, <id>/layer.tar links to
// them); layers are keyed by their diff_id, which is what manifest.json's layers hash to.
Image import_docker(ImageSource& src, const std::string& source, const std::string& base_name) {
  const std::string mpath = source + "/manifest.json";
  const auto entries = parse_docker_manifest(src.text("manifest.json"), mpath);
  if (entries.empty())
    throw SysError("unable to import '" + source + "': manifest.json is empty");
  const DockerManifest& m = entries.front();
  const auto cfg_path = split_entry_path(m.config);
  if (!cfg_path || cfg_path->empty())
    throw SysError("unable to import '" + source + "': bad config path '" + m.config + "'");
  const std::string cfg_text = src.text(m.config);
  // The config's file name is its digest ("<hex>.json", or blobs/sha256/<hex>).
  std::string cfg_hex = cfg_path->back();
  if (cfg_hex.ends_with(".json"))
    cfg_hex.resize(cfg_hex.size() - 5);
  if (sha256_hex(cfg_text) != cfg_hex)
    throw SysError("unable to verify '" + source + "' entry '" + m.config +
                   "': digest does not match its name");
  Image img;
  img.name = m.repo_tags.empty() ? base_name : m.repo_tags.front();
  img.config = parse_image_config(cfg_text, source + "/" + m.config);
  if (img.config.diff_ids.size() != m.layers.size())
    throw SysError("unable to import '" + source + "': " + std::to_string(m.layers.size()) +
                   " layers but " + std::to_string(img.config.diff_ids.size()) + " diff_ids");
  std::vector<LayerRef> layers;
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const auto lp = split_entry_path(m.layers[i]);
    if (!lp || lp->empty())
      throw SysError("unable to import '" + source + "': bad layer path '" + m.layers[i] + "'");
    const std::string& diff_id = img.config.diff_ids[i];
    layers.push_back({m.layers[i], diff_id, {.sha256 = {}, .diff_id = diff_id}});
    img.layers.push_back(diff_id);
  }
  src.add_layers(layers);
  return img;
}

Image import_rootfs_tar(const Store& store, const std::string& tar, const std::string& name) {
  TempDir tmp(store, "layer");
  const UnpackResult r =
      unpack_archive(tar, tmp.path(), {.layer = true, .expect_sha256 = {}, .expect_diff_id = {}});
  // read_image_archive stops at the first entry no image archive has: one of these after it
  // means an image archive that cannot be read as one, never a root filesystem.
  for (const char* marker : {"manifest.json", "index.json", "oci-layout"})
    if (exists(tmp.path() + "/" + marker))
      throw SysError("unable to import '" + tar + "': it holds " + marker +
                     " but is not an image archive (it also holds entries no OCI or docker " +
                     "archive has)");
  warn_unpack_result(r, "'" + tar + "'");
  // Already there: our copy goes away with `tmp`.
  if (!store.has_layer(r.sha256)) {
    store.commit_layer(tmp.path(), r.sha256);
    tmp.release();
  }
  Image img;
  img.name = name;
  img.layers.push_back(r.sha256);
  img.config.diff_ids.push_back(r.sha256);
  return img;
}

struct WriterDeleter {
  void operator()(archive* a) const { (void)archive_write_free(a); }
};
struct DiskDeleter {
  void operator()(archive* a) const { (void)archive_read_free(a); }
};

// A rootfs directory becomes a tar first: its digest is then the layer's key, as for any tar.
// Owners are recorded as root: in the user namespace, files of other host users show up as
// the overflow id, which means nothing inside an image.
void tar_directory(const std::string& dir_arg, const std::string& out) {
  // libarchive names entries without the trailing slash of "rootfs/": strip it here too, so
  // that the prefix cut below keeps the first letter of every top-level name.
  std::string dir = dir_arg;
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  std::unique_ptr<archive, WriterDeleter> w(archive_write_new());
  archive_write_set_format_pax_restricted(w.get());
  if (archive_write_open_filename(w.get(), out.c_str()) != ARCHIVE_OK)
    throw SysError("unable to write '" + out + "': " + archive_error_text(w.get()));
  std::unique_ptr<archive, DiskDeleter> d(archive_read_disk_new());
  archive_read_disk_set_behavior(d.get(), 0);
  archive_read_disk_set_symlink_physical(d.get());
  if (archive_read_disk_open(d.get(), dir.c_str()) != ARCHIVE_OK)
    throw SysError("unable to read '" + dir + "': " + archive_error_text(d.get()));
  for (;;) {
    archive_entry* e = archive_entry_new();
    const int r = archive_read_next_header2(d.get(), e);
    if (r == ARCHIVE_EOF) {
      archive_entry_free(e);
      break;
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      const std::string msg = archive_error_text(d.get());
      archive_entry_free(e);
      throw SysError("unable to read '" + dir + "': " + msg);
    }
    (void)archive_read_disk_descend(d.get()); // no-op for non-directories
    std::string path = archive_entry_pathname(e);
    std::string rest = path.size() > dir.size() ? path.substr(dir.size()) : "";
    if (!rest.empty() && rest.front() != '/') // dir "/"
      rest.insert(0, "/");
    path = "." + rest;
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_uname(e, "");
    archive_entry_set_gname(e, "");
    if (archive_write_header(w.get(), e) != ARCHIVE_OK) {
      const std::string msg = archive_error_text(w.get());
      archive_entry_free(e);
      throw SysError("unable to write '" + out + "': " + msg);
    }
    if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
      UniqueFd fd(::open(archive_entry_sourcepath(e), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!fd.valid()) {
        const int err = errno;
        archive_entry_free(e);
        throw SysError("unable to read", dir + path.substr(1), err);
      }
      char buf[1 << 16];
      ssize_t n = 0;
      while ((n = retry_eintr([&] { return ::read(fd.get(), buf, sizeof buf); })) > 0)
        if (archive_write_data(w.get(), buf, static_cast<size_t>(n)) < 0)
          break;
    }
    archive_entry_free(e);
  }
  if (archive_write_close(w.get()) != ARCHIVE_OK)
    throw SysError("unable to write '" + out + "': " + archive_error_text(w.get()));
}

} // namespace

std::string default_image_name(const std::string& source) {
  std::string s = source;
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  s = s.substr(s.rfind('/') + 1);
  for (const char* ext : {".tar.gz", ".tar.xz", ".tar.zst", ".tgz", ".tar", ".oci"})
    if (s.size() > std::string_view(ext).size() && s.ends_with(ext)) {
      s.resize(s.size() - std::string_view(ext).size());
      break;
    }
  std::string out;
  for (const char c : s) {
    // A dot after a dot too: ".." is no part of a valid name.
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    (c == '.' && (out.empty() || out.back() != '.')) || c == '_' || c == '-' ||
                    c == ':';
    out.push_back(ok ? c : '-');
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front())))
    out.erase(out.begin());
  if (out.size() > max_image_name)
    out.resize(max_image_name);
  return out.empty() ? "image" : out;
}

std::optional<std::string> run_source_name(const std::string& image) {
  if (!image.starts_with("/") && !image.starts_with("./") && !image.starts_with("../"))
    return std::nullopt;
  std::string source = image;
  std::string tag;
  if (!exists(source)) {
    const std::size_t colon = source.rfind(':');
    if (colon == std::string::npos || !is_dir(source.substr(0, colon)))
      return std::nullopt;
    tag = source.substr(colon + 1);
    source.resize(colon);
  }
  char* real = ::realpath(source.c_str(), nullptr);
  if (real == nullptr)
    return std::nullopt;
  std::string key = std::string(real) + (tag.empty() ? "" : ":" + tag);
  std::free(real);
  // An archive replaced at the same path (a rebuilt image) is another image: its size and
  // modification time are part of the key (for a layout directory, its index.json's).
  struct stat st {};
  const std::string stamped = is_dir(source) ? source + "/index.json" : source;
  if (::stat(stamped.c_str(), &st) == 0)
    key += "\n" + std::to_string(st.st_size) + "\n" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec);
  std::string name = "local/" + sha256_hex(key).substr(0, 12) + "/" +
                     default_image_name(source).substr(0, 100) + (tag.empty() ? "" : ":" + tag);
  return valid_image_name(name) ? std::optional(name) : std::nullopt;
}

int import_image(const Store& store, const ImportOptions& opts) {
  if (!opts.name.empty() && !valid_image_name(opts.name))
    throw SysError("invalid image name '" + opts.name +
                   "' (letters, digits and ._:@/+- only; starts with a letter or digit)");
  store.sweep_temp();
  std::string source = opts.source;
  std::string tag;
  // umoci's "layout:tag" form, when the whole string is not itself a path.
  if (!exists(source)) {
    const std::size_t colon = source.rfind(':');
    if (colon == std::string::npos || !is_dir(source.substr(0, colon)))
      throw SysError("unable to import", source, ENOENT);
    tag = source.substr(colon + 1);
    source.resize(colon);
  }
  const std::string base = default_image_name(source);
  Image img;
  if (is_dir(source)) {
    DirSource src(store, source);
    if (src.has("index.json"))
      img = import_oci(src, source, tag, base);
    else if (!tag.empty())
      throw SysError("unable to import '" + source + "': a tag needs an OCI layout");
    else if (src.has("manifest.json"))
      img = import_docker(src, source, base);
    else {
      TempDir tmp(store, "rootfs");
      const std::string tar = tmp.path() + "/rootfs.tar";
      tar_directory(source, tar);
      img = import_rootfs_tar(store, tar, base);
    }
  } else if (const auto src = read_image_archive(store, source)) {
    // docker 25+ saves are OCI layouts with a manifest.json too: the index says more.
    if (src->has("index.json") && (src->has("oci-layout") || !src->has("manifest.json")))
      img = import_oci(*src, source, tag, base);
    else if (src->has("manifest.json"))
      img = import_docker(*src, source, base);
    else
      throw SysError("unable to import '" + source + "': it holds oci-layout but no index.json");
  } else {
    img = import_rootfs_tar(store, source, base);
  }
  if (!opts.name.empty())
    img.name = opts.name;
  if (!valid_image_name(img.name))
    img.name = default_image_name(img.name);
  store.save_image(img);
  if (!opts.quiet)
    std::cout << img.name << '\n';
  return 0;
}

} // namespace cinit::launcher
