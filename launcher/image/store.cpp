#include "launcher/image/store.hpp"

#include "common/log.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/image/unpack.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <set>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace cinit::launcher {
namespace {

using nlohmann::json;

// A layer directory, for flock(2): `run` holds it shared, `rm` takes it exclusive.
UniqueFd open_layer(const std::string& dir) {
  return UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

void make_dirs(const std::string& path, mode_t mode) {
  std::string cur;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty())
      continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST)
      throw SysError("unable to create directory", cur, errno);
  }
}

// The data root must be ours alone: another local user who could create it first (in
// /var/tmp, or any directory others may write to) or write into it could swap layers under a
// container. It must be a real directory owned by us; where its parent is writable by others,
// also closed to group and others, as we create it.
void check_private_root(const std::string& root) {
  UniqueFd fd(retry_eintr(
      [&] { return ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); }));
  if (!fd.valid())
    throw SysError("unable to open data root", root, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw SysError("unable to stat data root", root, errno);
  if (st.st_uid != ::getuid())
    throw SysError("unable to use data root '" + root + "': owned by uid " +
                   std::to_string(st.st_uid) + ", not by uid " + std::to_string(::getuid()));
  const std::size_t slash = root.rfind('/');
  const std::string parent = slash == 0 || slash == std::string::npos ? "/" : root.substr(0, slash);
  struct stat pst {};
  const bool shared_parent = ::stat(parent.c_str(), &pst) != 0 || (pst.st_mode & 022) != 0;
  if (shared_parent && (st.st_mode & 077) != 0) {
    char mode[8];
    (void)std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    throw SysError("unable to use data root '" + root + "': mode " + mode +
                   " lets other users in (its parent is shared): it must be 0700");
  }
}

// '/' cannot be in a file name and '%' escapes it; names are validated before.
std::string encode_name(const std::string& name) {
  std::string out;
  for (const char c : name) {
    if (c == '/')
      out += "%2F";
    else if (c == '%')
      out += "%25";
    else
      out.push_back(c);
  }
  return out;
}

// flock(2) on `path` (created), waiting (and saying `waiting` once) while another holds it.
UniqueFd take_lock(const std::string& path, int mode, const std::string& waiting) {
  UniqueFd fd(retry_eintr(
      [&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600); }));
  if (!fd.valid())
    throw SysError("unable to open the lock", path, errno);
  if (::flock(fd.get(), mode | LOCK_NB) == 0)
    return fd;
  if (errno != EWOULDBLOCK)
    throw SysError("unable to lock", path, errno);
  warn(waiting);
  if (retry_eintr([&] { return ::flock(fd.get(), mode); }) != 0)
    throw SysError("unable to lock", path, errno);
  return fd;
}

Image image_from_json(const std::string& text, const std::string& what) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j["name"].is_string() ||
      !j.contains("layers") || !j["layers"].is_array() || !j.contains("config"))
    throw SysError("unable to parse '" + what + "': not an image record");
  Image img;
  img.name = j["name"].get<std::string>();
  for (const auto& l : j["layers"]) {
    if (!l.is_string())
      throw SysError("unable to parse '" + what + "': a layer that is not a digest");
    img.layers.push_back(digest_hex(l.get<std::string>(), what));
  }
  img.config = parse_image_config(j["config"].dump(), what);
  return img;
}

} // namespace

bool unsuitable_for_layers(long magic) {
  switch (static_cast<unsigned long>(magic)) {
  case 0x6969UL:     // NFS
  case 0x517bUL:     // SMB
  case 0xff534d42UL: // CIFS
  case 0xfe534d42UL: // SMB2
  case 0x0bd00bd0UL: // Lustre
  case 0x47504653UL: // GPFS
  case 0x5346414fUL: // AFS
  case 0x00c36400UL: // Ceph
  case 0x65735546UL: // FUSE
  case 0x794c7630UL: // overlayfs: cannot be an upper layer's filesystem
  case 0xf15fUL:     // eCryptfs
    return true;
  default:
    return false;
  }
}

std::string choose_data_root(const Config& cfg) {
  std::string root = cfg.data_root;
  if (root.empty()) {
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg == '/')
      root = std::string(xdg) + "/launcher";
    else if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/')
      root = std::string(home) + "/.local/share/launcher";
    else
      throw SysError("unable to find a data root: set HOME, XDG_DATA_HOME or data_root");
  }
  // statfs the nearest existing ancestor: the root itself may not exist yet.
  std::string probe = root;
  struct statfs sf {};
  while (::statfs(probe.c_str(), &sf) != 0) {
    const std::size_t slash = probe.rfind('/');
    if (errno != ENOENT || slash == std::string::npos || probe == "/")
      throw SysError("unable to statfs", probe, errno);
    probe = slash == 0 ? "/" : probe.substr(0, slash);
  }
  if (!unsuitable_for_layers(static_cast<long>(sf.f_type)))
    return root;
  const std::string local = "/var/tmp/launcher-" + std::to_string(::getuid());
  Store(local).warn_once("data-root", "'" + root +
                                          "' cannot hold overlay layers (a network, FUSE or "
                                          "overlay filesystem): using '" +
                                          local + "'");
  return local;
}

bool valid_image_name(std::string_view name) {
  if (name.empty() || name.size() > max_image_name)
    return false;
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front()))
    return false;
  for (const char c : name)
    if (!alnum(c) && std::string_view("._:@/+-").find(c) == std::string_view::npos)
      return false;
  // Its record, images/NAME.json with '/' as %2F, must be one directory entry, and so must
  // the record's temp name while it is written (write_file_atomic: ".NAME.json.tmp").
  return name.find("..") == std::string_view::npos &&
         encode_name(std::string(name)).size() + std::string_view("..json.tmp").size() <= NAME_MAX;
}

Store::Store(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/')
    root_.pop_back();
  make_dirs(root_, 0700);
  check_private_root(root_);
  for (const char* sub : {"/layers", "/images", "/tmp", "/mnt", "/locks"})
    if (::mkdir((root_ + sub).c_str(), 0700) != 0 && errno != EEXIST)
      throw SysError("unable to create directory", root_ + sub, errno);
}

bool Store::has_layer(const std::string& hex) const {
  struct stat st {};
  return ::lstat(layer_path(hex).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Store::make_temp_dir(const std::string& prefix) const {
  // The pid in the name lets sweep_temp() tell live imports from dead ones.
  std::string tmpl = root_ + "/tmp/" + prefix + "-" + std::to_string(::getpid()) + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw SysError("unable to create a temp dir in", root_ + "/tmp", errno);
  return tmpl;
}

void Store::commit_layer(const std::string& tmp, const std::string& hex) const {
  const std::string dst = layer_path(hex);
  if (::rename(tmp.c_str(), dst.c_str()) == 0)
    return;
  const int err = errno;
  if ((err == EEXIST || err == ENOTEMPTY) && has_layer(hex)) {
    remove_tree(tmp); // a concurrent import unpacked the same digest first
    return;
  }
  throw SysError("unable to rename", tmp, err);
}

std::string Store::image_file(const std::string& name) const {
  return root_ + "/images/" + encode_name(name) + ".json";
}

void Store::save_image(const Image& img) const {
  json j = json::object();
  j["name"] = img.name;
  json layers = json::array();
  for (const auto& l : img.layers)
    layers.push_back("sha256:" + l);
  j["layers"] = layers;
  j["config"] = json::parse(image_config_to_json(img.config));
  const std::string path = image_file(img.name);
  // Written in a temp dir of this process (tmp/, swept once we are gone) and renamed into
  // place: two imports of one name never share a temp file (the second would unlink the
  // first's, whose rename then fails), and a killed import leaves nothing in images/.
  TempDir tmp(*this, "image");
  const std::string file = tmp.path() + "/image.json";
  if (!write_file_atomic(file, j.dump(2) + "\n", 0600))
    throw SysError("unable to write", file, errno);
  if (::rename(file.c_str(), path.c_str()) != 0)
    throw SysError("unable to write", path, errno);
}

std::optional<Image> Store::load_image(const std::string& name) const {
  if (!valid_image_name(name))
    return std::nullopt;
  const std::string path = image_file(name);
  const auto text = read_file(path);
  if (!text) {
    if (errno != ENOENT)
      throw SysError("unable to read", path, errno);
    // As docker: a name without a tag means NAME:latest.
    const std::size_t slash = name.rfind('/');
    if (name.find(':', slash == std::string::npos ? 0 : slash) == std::string::npos)
      return load_image(name + ":latest");
    return std::nullopt;
  }
  return image_from_json(*text, path);
}

std::vector<Image> Store::list_images() const {
  const std::string dir = root_ + "/images";
  const auto names = list_dir(dir);
  if (!names)
    throw SysError("unable to list", dir, errno);
  std::vector<Image> out;
  for (const auto& n : *names) {
    if (n.starts_with('.') || !n.ends_with(".json"))
      continue; // temp files of write_file_atomic
    const std::string path = dir + "/" + n;
    const auto text = read_file(path);
    if (!text)
      throw SysError("unable to read", path, errno);
    out.push_back(image_from_json(*text, path));
  }
  return out;
}

bool Store::remove_image(const std::string& name) const {
  if (!valid_image_name(name))
    return false;
  const std::string path = image_file(name);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT)
      return false;
    throw SysError("unable to remove", path, errno);
  }
  std::set<std::string> used;
  for (const auto& img : list_images())
    used.insert(img.layers.begin(), img.layers.end());
  const auto layers = list_dir(layers_dir());
  if (!layers)
    throw SysError("unable to list", layers_dir(), errno);
  for (const auto& l : *layers) {
    if (used.contains(l))
      continue;
    const std::string dir = layer_path(l);
    const UniqueFd fd = open_layer(dir);
    if (fd.valid() && ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
      warn("layer '" + l +
           "' is in use by a running container: kept (the next 'launcher rm' "
           "removes it)");
      continue;
    }
    remove_tree(dir);
  }
  return true;
}

UniqueFd Store::lock(bool exclusive) const {
  return take_lock(root_ + "/lock", exclusive ? LOCK_EX : LOCK_SH,
                   "waiting for another launcher using '" + root_ + "' (an import or rm)");
}

UniqueFd Store::lock_layer(const std::string& hex) const {
  return take_lock(root_ + "/locks/" + hex, LOCK_EX,
                   "waiting for another pull of layer sha256:" + hex);
}

std::vector<UniqueFd> Store::pin_layers(const std::vector<std::string>& hexes) const {
  std::vector<UniqueFd> pins;
  for (const auto& hex : hexes) {
    const std::string path = layer_path(hex);
    UniqueFd fd = open_layer(path);
    // Blocks only while an rm is deleting this very layer: then the directory is gone
    // (no links left) by the time we hold it.
    struct stat st {};
    if (!fd.valid() || retry_eintr([&] { return ::flock(fd.get(), LOCK_SH); }) != 0 ||
        ::fstat(fd.get(), &st) != 0 || st.st_nlink == 0)
      throw SysError("unable to find layer", path, fd.valid() ? ENOENT : errno);
    pins.push_back(std::move(fd));
  }
  return pins;
}

void Store::sweep_temp() const {
  const std::string dir = root_ + "/tmp";
  const auto names = list_dir(dir);
  if (!names)
    return; // nothing to sweep is not a reason to fail an import
  for (const auto& n : *names) {
    // "<prefix>-<pid>-XXXXXX": keep it while that pid lives (a concurrent import).
    const std::size_t last = n.rfind('-');
    const std::size_t prev = last == std::string::npos ? last : n.rfind('-', last - 1);
    if (prev == std::string::npos)
      continue;
    const long pid = std::strtol(n.substr(prev + 1, last - prev - 1).c_str(), nullptr, 10);
    if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM))
      continue;
    try {
      remove_tree(dir + "/" + n);
    } catch (const SysError& e) {
      warn(e.what()); // debris only costs space
    }
  }
}

TempDir::~TempDir() {
  if (path_.empty())
    return;
  try {
    remove_tree(path_);
  } catch (const SysError& e) {
    warn(e.what()); // leftover debris: swept by the next import
  }
}

void Store::warn_once(const std::string& topic, const std::string& message) const {
  const std::string marker = root_ + "/.warned-" + topic;
  const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST)
    return; // said before
  if (fd >= 0)
    ::close(fd);
  warn(message); // also when the marker cannot be made: better said twice than never
}

} // namespace cinit::launcher
