#include "launcher/image/import.hpp"

#include "common/log.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/image/sha256.hpp"
#include "launcher/image/unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cctype>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <sys/stat.h>
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

// Reads a blob and checks it against its digest.
std::string read_blob(const std::string& layout, const std::string& hex) {
  const std::string path = layout + "/blobs/sha256/" + hex;
  std::string text = read_text(path);
  const std::string got = sha256_hex(text);
  if (got != hex)
    throw SysError("unable to verify '" + path + "': digest is sha256:" + got);
  return text;
}

// Unpacks one layer unless the store has it; returns its key.
void add_layer(const Store& store, const std::string& blob, const std::string& hex) {
  if (store.has_layer(hex))
    return;
  TempDir tmp(store, "layer");
  const UnpackResult r =
      unpack_archive(blob, tmp.path(), {.layer = true, .expect_sha256 = hex, .expect_diff_id = {}});
  warn_unpack_result(r, "layer sha256:" + hex);
  store.commit_layer(tmp.path(), hex);
  tmp.release();
}

std::string join_name(const std::string& base, const std::string& tag) {
  if (tag.empty())
    return base;
  // A full reference ("docker.io/library/busybox:1.36") names itself.
  if (tag.find(':') != std::string::npos || tag.find('/') != std::string::npos)
    return tag;
  return base + ":" + tag;
}

Image import_oci_layout(const Store& store, const std::string& layout, const std::string& tag,
                        const std::string& base_name) {
  const std::string index_path = layout + "/index.json";
  Manifest index = parse_manifest(read_text(index_path), index_path);
  if (!index.is_index || index.manifests.empty())
    throw SysError("unable to import '" + layout + "': index.json lists no manifests");
  const Descriptor* chosen = nullptr;
  for (const auto& d : index.manifests)
    if (tag.empty() || d.ref_name == tag) {
      chosen = &d;
      break;
    }
  if (chosen == nullptr)
    throw SysError("unable to find tag '" + tag + "' in", layout, ENOENT);
  const std::string ref = chosen->ref_name;
  // Nested indexes (multi-platform images): take the first manifest, depth-limited.
  Manifest m = parse_manifest(read_blob(layout, chosen->digest), chosen->digest);
  for (int depth = 0; m.is_index; ++depth) {
    if (depth > 4 || m.manifests.empty())
      throw SysError("unable to import '" + layout + "': no image manifest in the index");
    const std::string hex = m.manifests.front().digest;
    m = parse_manifest(read_blob(layout, hex), hex);
  }
  Image img;
  img.name = join_name(base_name, ref);
  img.config = parse_image_config(read_blob(layout, m.config.digest), m.config.digest);
  for (const auto& l : m.layers) {
    add_layer(store, layout + "/blobs/sha256/" + l.digest, l.digest);
    img.layers.push_back(l.digest);
  }
  return img;
}

Image import_docker_archive(const Store& store, const std::string& dir,
                            const std::string& base_name) {
  const std::string mpath = dir + "/manifest.json";
  const auto entries = parse_docker_manifest(read_text(mpath), mpath);
  if (entries.empty())
    throw SysError("unable to import '" + dir + "': manifest.json is empty");
  const DockerManifest& m = entries.front();
  const auto cfg_path = split_entry_path(m.config);
  if (!cfg_path || cfg_path->empty())
    throw SysError("unable to import: bad config path '" + m.config + "'");
  const std::string cfg_file = dir + "/" + m.config;
  const std::string cfg_text = read_text(cfg_file);
  // The config's file name is its digest ("<hex>.json", or blobs/sha256/<hex>).
  std::string cfg_hex = cfg_path->back();
  if (cfg_hex.ends_with(".json"))
    cfg_hex.resize(cfg_hex.size() - 5);
  if (sha256_hex(cfg_text) != cfg_hex)
    throw SysError("unable to verify '" + cfg_file + "': digest does not match its name");
  Image img;
  img.name = m.repo_tags.empty() ? base_name : m.repo_tags.front();
  img.config = parse_image_config(cfg_text, cfg_file);
  if (img.config.diff_ids.size() != m.layers.size())
    throw SysError("unable to import '" + dir + "': " + std::to_string(m.layers.size()) +
                   " layers but " + std::to_string(img.config.diff_ids.size()) + " diff_ids");
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const auto lp = split_entry_path(m.layers[i]);
    if (!lp || lp->empty())
      throw SysError("unable to import: bad layer path '" + m.layers[i] + "'");
    // Uncompressed layer tars: their digest is the diff_id.
    add_layer(store, dir + "/" + m.layers[i], img.config.diff_ids[i]);
    img.layers.push_back(img.config.diff_ids[i]);
  }
  return img;
}

Image import_rootfs_tar(const Store& store, const std::string& tar, const std::string& name) {
  TempDir tmp(store, "layer");
  const UnpackResult r =
      unpack_archive(tar, tmp.path(), {.layer = true, .expect_sha256 = {}, .expect_diff_id = {}});
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
    if (exists(source + "/index.json"))
      img = import_oci_layout(store, source, tag, base);
    else if (!tag.empty())
      throw SysError("unable to import '" + source + "': a tag needs an OCI layout");
    else if (exists(source + "/manifest.json"))
      img = import_docker_archive(store, source, base);
    else {
      TempDir tmp(store, "rootfs");
      const std::string tar = tmp.path() + "/rootfs.tar";
      tar_directory(source, tar);
      img = import_rootfs_tar(store, tar, base);
    }
  } else {
    const ArchiveScan scan = scan_archive(source);
    if (!scan.other && (scan.oci_layout || scan.docker_manifest)) {
      TempDir tmp(store, "archive");
      (void)unpack_archive(source, tmp.path(),
                           {.layer = false, .expect_sha256 = {}, .expect_diff_id = {}});
      img = scan.oci_layout && exists(tmp.path() + "/index.json")
                ? import_oci_layout(store, tmp.path(), tag, base)
                : import_docker_archive(store, tmp.path(), base);
    } else {
      img = import_rootfs_tar(store, source, base);
    }
  }
  if (!opts.name.empty())
    img.name = opts.name;
  if (!valid_image_name(img.name))
    img.name = default_image_name(img.name);
  store.save_image(img);
  std::cout << img.name << '\n';
  return 0;
}

} // namespace cinit::launcher
