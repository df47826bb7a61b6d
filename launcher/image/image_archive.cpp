// One pass over an image archive: documents kept, layers unpacked as they come by, several at
// once; nothing is committed to the store until the importer has read the manifest.
#include "launcher/image/image_archive.hpp"

#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/image/unpack.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <string_view>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace cinit::launcher {
namespace {

// A document of an image (index, manifest, config, manifest.json) is far below this; all of
// them together too.
constexpr std::size_t max_text = 64 << 20;
constexpr std::size_t max_texts = 256 << 20;
// What is read of an entry before deciding whether it is a layer or a document.
constexpr std::size_t head_size = 1 << 16;

std::string join(const std::vector<std::string>& comps) {
  std::string out;
  for (const auto& c : comps) {
    if (!out.empty())
      out.push_back('/');
    out += c;
  }
  return out;
}

// Whether an entry can belong to an OCI archive (oci-layout, index.json, blobs/...) or a
// docker one (manifest.json, repositories, <hex>.json configs, skopeo's and podman's
// <hex>.tar layers, docker save's <id>/{layer.tar,json,VERSION}; docker 25 writes both).
bool image_entry(const std::vector<std::string>& comps, TarEntry::Kind kind) {
  if (comps.empty() || kind == TarEntry::Kind::directory || comps.front() == "blobs")
    return true;
  const std::string& top = comps.front();
  if (comps.size() == 1)
    return top == "oci-layout" || top == "repositories" || top.ends_with(".json") ||
           top.ends_with(".tar");
  return comps.size() == 2 &&
         (comps[1] == "layer.tar" || comps[1] == "json" || comps[1] == "VERSION");
}

bool compressed(std::string_view head) {
  for (const std::string_view magic :
       {std::string_view("\x1f\x8b", 2), std::string_view("\x28\xb5\x2f\xfd", 4),
        std::string_view("\xfd"
                         "7zXZ\0",
                         6),
        std::string_view("BZh", 3)})
    if (head.starts_with(magic))
      return true;
  return false;
}

// A layer by its first bytes: compressed, a tar header, or the zero blocks of an empty tar.
bool looks_like_layer(std::string_view head) {
  if (compressed(head))
    return true;
  if (head.size() >= 262 && head.substr(257, 5) == "ustar")
    return true;
  return head.size() >= 512 &&
         head.substr(0, 512).find_first_not_of('\0') == std::string_view::npos;
}

// The digest an entry's name claims, when it is one that layers are stored under.
std::string name_digest(const std::string& key) {
  std::string_view n = key;
  if (n.starts_with("blobs/sha256/"))
    n.remove_prefix(13);
  else if (n.ends_with(".tar") && n.find('/') == std::string_view::npos)
    n.remove_suffix(4);
  else
    return {};
  return n.size() == 64 && n.find_first_not_of("0123456789abcdef") == std::string_view::npos
             ? std::string(n)
             : std::string();
}

// Reads the entry's first bytes (all of them when it is shorter).
std::string read_head(const TarData& data) {
  std::string head(head_size, '\0');
  std::size_t got = 0;
  while (got < head.size()) {
    const std::size_t n = data(head.data() + got, head.size() - got);
    if (n == 0)
      break;
    got += n;
  }
  head.resize(got);
  return head;
}

class ArchiveSource final : public ImageSource {
public:
  ArchiveSource(const Store& store, std::string path, std::uint64_t spool_limit)
      : store_(store), path_(std::move(path)), spool_limit_(spool_limit) {}
  ~ArchiveSource() override { wait_all(); }
  ArchiveSource(const ArchiveSource&) = delete;
  ArchiveSource& operator=(const ArchiveSource&) = delete;

  // The one pass. False: no image archive.
  bool read() {
    bool marker = false;
    bool other = false;
    walk_tar(path_, [&](const TarEntry& e, const TarData& data) {
      const auto comps = split_entry_path(e.name);
      if (!comps || !image_entry(*comps, e.kind)) {
        // Once an archive says it is an image, what it holds beyond is ignored.
        other = !marker;
        return marker;
      }
      const std::string key = join(*comps);
      switch (e.kind) {
      case TarEntry::Kind::file:
        if (key == "manifest.json" || key == "index.json" || key == "oci-layout")
          marker = true;
        file(key, e, data);
        break;
      case TarEntry::Kind::symlink:
        link(*comps, e.link);
        break;
      case TarEntry::Kind::hardlink:
        if (const auto target = split_entry_path(e.link); target && !target->empty())
          links_[key] = join(*target);
        break;
      case TarEntry::Kind::directory:
      case TarEntry::Kind::other:
        break;
      }
      return true;
    });
    wait_all();
    return marker && !other;
  }

  bool has(const std::string& path) const override {
    const std::string p = resolve(path);
    return texts_.contains(p) || layers_.contains(p) || skipped_.contains(p);
  }

  std::string text(const std::string& path) const override {
    const std::string p = resolve(path);
    if (const auto it = texts_.find(p); it != texts_.end())
      return it->second;
    if (layers_.contains(p) || skipped_.contains(p))
      throw SysError("unable to read '" + path_ + "' entry '" + p + "': not a JSON document");
    throw SysError("unable to read '" + path_ + "' entry '" + p + "': not in the archive");
  }

  // Unpacked in the pass already: only checked and committed here.
  void add_layers(const std::vector<LayerRef>& layers) override {
    for (const auto& l : layers)
      add_layer(l.path, l.key, l.check);
  }

private:
  void add_layer(const std::string& path, const std::string& key, const LayerCheck& check) {
    if (store_.has_layer(key))
      return;
    const std::string p = resolve(path);
    const std::string what = "'" + path_ + "/" + p + "'";
    const auto it = layers_.find(p);
    if (it != layers_.end() && it->second.dir && !check.diff_id.empty() && it->second.compressed &&
        it->second.result.diff_id.empty())
      it->second.dir.reset(); // unpacked without its diff_id: once more, checked
    if (it == layers_.end() || (!it->second.dir && it->second.error.empty())) {
      // Not unpacked in the pass (too small to tell, or the store had it under this name
      // then): once more from the archive, this entry alone.
      unpack_later(p, key, check);
      return;
    }
    Layer& l = it->second;
    if (!l.error.empty())
      throw SysError(l.error);
    if (!check.sha256.empty() && l.result.sha256 != check.sha256)
      throw SysError("unable to verify " + what + ": digest is sha256:" + l.result.sha256 +
                     ", expected sha256:" + check.sha256);
    // Without a diff_id of its own the layer was a bare tar: its digest is its diff_id.
    const std::string& diff_id = l.result.diff_id.empty() ? l.result.sha256 : l.result.diff_id;
    if (!check.diff_id.empty() && diff_id != check.diff_id)
      throw SysError("unable to verify " + what + ": uncompressed digest is sha256:" + diff_id +
                     ", the image config's diff_id is sha256:" + check.diff_id);
    warn_unpack_result(l.result, "layer sha256:" + key);
    store_.commit_layer(l.dir->path(), key);
    l.dir->release();
    l.dir.reset();
    l.error = "unable to import " + what + ": listed twice under different digests";
  }

  struct Layer {
    std::unique_ptr<TempDir> dir; // unpacked, not yet in the store
    UnpackResult result;
    std::string error; // why it could not be unpacked (said if a manifest lists it)
    bool compressed = false;
  };
  struct Unpacker {
    std::thread thread; // writes only its Layer (a map node: it stays where it is)
    std::uint64_t bytes = 0;
  };

  void file(const std::string& key, const TarEntry& e, const TarData& data) {
    const std::string head = read_head(data);
    if (layers_.contains(key) || texts_.contains(key)) {
      wait_all(); // the same name again (tar's append): the later entry wins
      layers_.erase(key);
      texts_.erase(key);
    }
    if (looks_like_layer(head)) {
      layer(key, head, data, e.size);
      return;
    }
    if (e.size < 0 || static_cast<std::uint64_t>(e.size) > max_text) {
      skipped_.insert(key);
      return;
    }
    std::string t = head;
    t.resize(static_cast<std::size_t>(e.size));
    std::size_t got = head.size();
    while (got < t.size()) {
      const std::size_t n = data(t.data() + got, t.size() - got);
      if (n == 0)
        break;
      got += n;
    }
    t.resize(got);
    text_bytes_ += t.size();
    if (text_bytes_ > max_texts)
      throw SysError("unable to import '" + path_ + "': more than 256 MiB of documents");
    texts_[key] = std::move(t);
  }

  // Unpacks the entry, unless the store has the layer its name claims to be: in a thread of
  // its own from a copy in memory when it fits there (the pass reads on meanwhile), else
  // streamed from the archive while the pass waits.
  void layer(const std::string& key, const std::string& head, const TarData& data,
             std::int64_t size) {
    Layer& l = layers_[key];
    // "<hex>.tar" is a docker layer keyed by its diff_id: the same as its digest only when
    // it is a bare tar. An OCI blob's key is its digest.
    if (const std::string hex = name_digest(key);
        !hex.empty() && (key.starts_with("blobs/") || !compressed(head)) && store_.has_layer(hex))
      return;
    l.dir = std::make_unique<TempDir>(store_, "layer");
    const std::string name = path_ + "/" + key;
    // A compressed docker layer's diff_id costs a second hash: only where a docker
    // manifest.json will ask for it (an OCI blob is checked by its digest alone).
    l.compressed = compressed(head);
    const UnpackOptions opts{.layer = true,
                             .expect_sha256 = {},
                             .expect_diff_id = {},
                             .compute_diff_id = l.compressed && !key.starts_with("blobs/")};
    const auto bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(size, 0));
    if (bytes <= spool_limit_) {
      make_room(bytes);
      UniqueFd copy = spool(name, head, data);
      running_.push_back({std::thread([&l, fd = std::move(copy), name, opts] {
                            try {
                              l.result = unpack_fd(fd.get(), name, l.dir->path(), opts);
                            } catch (const std::exception& err) {
                              l.error = err.what();
                              l.dir.reset();
                            } catch (...) { // nothing may leave a thread
                              l.error = "unable to unpack '" + name + "'";
                              l.dir.reset();
                            }
                          }),
                          bytes});
      spooled_ += bytes;
      return;
    }
    bool read_failed = false;
    try {
      l.result = unpack_produced(
          [&](int fd) {
            try {
              return stream(fd, head, data);
            } catch (...) {
              read_failed = true;
              throw;
            }
          },
          name, l.dir->path(), opts);
    } catch (const SysError& err) {
      if (read_failed)
        throw; // the archive itself, not this layer
      l.error = err.what();
      l.dir.reset();
    }
  }

  // The entry (`head`, then the rest of its data) in an anonymous file in memory, at its start.
  static UniqueFd spool(const std::string& name, std::string_view head, const TarData& data) {
    UniqueFd fd(::memfd_create("layer", MFD_CLOEXEC));
    if (!fd.valid())
      throw SysError("unable to make a memory file for", name, errno);
    if (!stream(fd.get(), head, data) || ::lseek(fd.get(), 0, SEEK_SET) != 0)
      throw SysError("unable to copy", name, errno);
    return fd;
  }

  // Waits for the oldest unpackers until one more of `bytes` fits.
  void make_room(std::uint64_t bytes) {
    while (!running_.empty() &&
           (running_.size() >= unpack_parallelism() || spooled_ + bytes > spool_limit_)) {
      running_.front().thread.join();
      spooled_ -= running_.front().bytes;
      running_.pop_front();
    }
  }

  void wait_all() {
    for (; !running_.empty(); running_.pop_front())
      running_.front().thread.join();
    spooled_ = 0;
  }

  static bool stream(int fd, std::string_view head, const TarData& data) {
    if (!write_full(fd, head))
      return false;
    std::vector<char> buf(head_size);
    for (;;) {
      const std::size_t n = data(buf.data(), buf.size());
      if (n == 0)
        return true;
      if (!write_full(fd, std::string_view(buf.data(), n)))
        return false;
    }
  }

  void unpack_later(const std::string& p, const std::string& key, const LayerCheck& check) {
    bool found = false;
    walk_tar(path_, [&](const TarEntry& e, const TarData& data) {
      const auto comps = split_entry_path(e.name);
      if (e.kind != TarEntry::Kind::file || !comps || join(*comps) != p)
        return true;
      found = true;
      TempDir tmp(store_, "layer");
      const UnpackResult r =
          unpack_produced([&](int fd) { return stream(fd, {}, data); }, path_ + "/" + p, tmp.path(),
                          {.layer = true,
                           .expect_sha256 = check.sha256,
                           .expect_diff_id = check.diff_id,
                           .compute_diff_id = false});
      warn_unpack_result(r, "layer sha256:" + key);
      store_.commit_layer(tmp.path(), key);
      tmp.release();
      return false;
    });
    if (!found)
      throw SysError("unable to import '" + path_ + "': its manifest lists layer '" + p +
                     "', which is not in the archive");
  }

  // A symlink (docker-archive's <id>/layer.tar -> ../<digest>.tar) as the archive name it
  // points to; one out of the archive is dropped (never followed).
  void link(const std::vector<std::string>& comps, const std::string& target) {
    if (target.empty() || target.front() == '/')
      return;
    std::vector<std::string> out(comps.begin(), comps.end() - 1);
    std::string_view rest = target;
    while (!rest.empty()) {
      const std::size_t slash = rest.find('/');
      const std::string_view c = rest.substr(0, slash);
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
      if (c.empty() || c == ".")
        continue;
      if (c != "..")
        out.emplace_back(c);
      else if (out.empty())
        return;
      else
        out.pop_back();
    }
    links_[join(comps)] = join(out);
  }

  // A path as the manifest names it, through the archive's links (a few hops at most).
  std::string resolve(const std::string& path) const {
    const auto comps = split_entry_path(path);
    std::string p = comps ? join(*comps) : path;
    for (int hops = 0; hops < 8; ++hops) {
      const auto it = links_.find(p);
      if (it == links_.end())
        break;
      p = it->second;
    }
    return p;
  }

  const Store& store_;
  std::string path_;
  std::uint64_t spool_limit_;
  std::map<std::string, std::string> texts_;
  std::map<std::string, Layer> layers_;
  std::set<std::string> skipped_; // neither a document nor a layer
  std::map<std::string, std::string> links_;
  std::size_t text_bytes_ = 0;
  std::deque<Unpacker> running_;
  std::uint64_t spooled_ = 0;
};

} // namespace

std::unique_ptr<ImageSource> read_image_archive(const Store& store, const std::string& path,
                                                std::uint64_t spool_limit) {
  auto src = std::make_unique<ArchiveSource>(store, path, spool_limit);
  if (!src->read())
    return nullptr;
  return src;
}

} // namespace cinit::launcher
