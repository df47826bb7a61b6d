// The order keeps the store consistent: nothing of an image is recorded until every layer
// is in layers/ (each committed by rename() after its digest and diff_id checked out), so
// an interrupted pull leaves only tmp/ debris and complete, reusable layers.
#include "launcher/registry/pull.hpp"

#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/image/sha256.hpp"
#include "launcher/image/unpack.hpp"
#include "launcher/registry/ca_bundle.hpp"
#include "launcher/registry/credentials.hpp"
#include "launcher/registry/http.hpp"
#include "launcher/registry/progress.hpp"
#include "launcher/registry/reference.hpp"
#include "launcher/registry/registry.hpp"

#include <atomic>
#include <cerrno>
#include <exception>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/utsname.h>
#include <thread>

namespace cinit::launcher {
namespace {

using nlohmann::json;

// distribution's limits: a manifest over 4 MiB is refused by registries themselves.
constexpr std::size_t max_manifest = 4 << 20;
constexpr std::size_t max_config = 8 << 20;
constexpr int max_index_depth = 4;

constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view docker_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";

bool known_layer_type(std::string_view t) {
  for (const std::string_view ok :
       {"application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"})
    if (t == ok)
      return true;
  return false;
}

bool known_config_type(std::string_view t) {
  return t == "application/vnd.oci.image.config.v1+json" ||
         t == "application/vnd.docker.container.image.v1+json";
}

std::string short_hex(const std::string& hex) {
  return hex.substr(0, 12);
}

// What kind of document a manifest body is, from its mediaType (or the Content-Type when it
// has none). Schema 1 and unknown kinds are refused here, before any parsing.
std::string manifest_kind(const ManifestResponse& m, const std::string& what) {
  const json j = json::parse(m.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw SysError("unable to parse the manifest of '" + what + "': not a JSON object");
  std::string type = j.contains("mediaType") && j["mediaType"].is_string()
                         ? j["mediaType"].get<std::string>()
                         : m.content_type;
  const bool schema1 = (j.contains("schemaVersion") && j["schemaVersion"] == 1) ||
                       type.starts_with("application/vnd.docker.distribution.manifest.v1");
  if (schema1)
    throw SysError("unable to pull '" + what +
                   "': its manifest is Docker schema 1, long deprecated and not supported (push "
                   "it again with a current tool)");
  if (type.empty() || type == "application/json")
    type = j.contains("manifests") ? std::string(oci_index) : std::string(oci_manifest);
  if (type != oci_index && type != docker_list && type != oci_manifest && type != docker_manifest)
    throw SysError("unable to pull '" + what + "': unknown manifest media type '" + type + "'");
  return type;
}

std::string platform_string(const Platform& p) {
  return p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
}

// A layer to fetch: its blob descriptor and the diff_id its uncompressed tar must have.
struct LayerJob {
  Descriptor blob;
  std::string diff_id;
};

class Puller {
public:
  Puller(const Store& store, Registry& registry, const PullOptions& opts)
      : store_(store), registry_(registry), opts_(opts) {}

  // Fetches the layers the store lacks, `jobs` at a time; the first error stops the rest
  // from starting and is rethrown.
  void fetch_layers(const std::vector<LayerJob>& jobs) {
    std::int64_t total = 0;
    std::vector<std::string> ids;
    std::vector<std::int64_t> sizes;
    for (const auto& j : jobs) {
      if (!store_.has_layer(j.blob.digest))
        total += j.blob.size;
      ids.push_back(short_hex(j.blob.digest));
      sizes.push_back(j.blob.size);
    }
    Progress progress(opts_.quiet, std::move(ids), std::move(sizes), total);
    progress_ = &progress;
    std::atomic<std::size_t> next{0};
    const auto worker = [&] {
      try {
        HttpClient http(registry_.ca_pem());
        for (std::size_t i = next++; i < jobs.size() && !failed_; i = next++)
          fetch_layer(http, jobs[i], i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(mu_);
        if (!error_)
          error_ = std::current_exception();
        failed_ = true;
      }
    };
    const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(opts_.jobs), jobs.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < n; ++i)
      threads.emplace_back(worker);
    if (n > 0)
      worker();
    for (auto& t : threads)
      t.join();
    if (error_)
      std::rethrow_exception(error_);
  }

private:
  // Streams the blob through a pipe into the unpacker (another thread), so that the layer is
  // unpacked while it downloads; both digests are checked by the unpacker on the way.
  void fetch_layer(HttpClient& http, const LayerJob& job, std::size_t index) {
    const std::string& hex = job.blob.digest;
    const std::string what = "layer sha256:" + hex;
    if (store_.has_layer(hex)) {
      progress_->finished(index, short_hex(hex) + ": already in the store");
      return;
    }
    const UniqueFd lock = store_.lock_layer(hex);
    if (store_.has_layer(hex)) { // another pull fetched it while we waited
      progress_->finished(index, short_hex(hex) + ": already in the store");
      return;
    }
    progress_->started(index);
    TempDir tmp(store_, "pull");
    // Streamed into the unpacker as it arrives; a refused write (BlobSinkClosed) means the
    // unpacker stopped first, and its error says why.
    const UnpackResult result = unpack_produced(
        [&](int fd) {
          try {
            registry_.stream_blob(http, job.blob, [&](std::string_view chunk) {
              progress_->add_bytes(index, chunk.size());
              return write_full(fd, chunk);
            });
          } catch (const BlobSinkClosed&) {
            return false;
          }
          return true;
        },
        what, tmp.path(), {.layer = true, .expect_sha256 = hex, .expect_diff_id = job.diff_id});
    warn_unpack_result(result, what);
    store_.commit_layer(tmp.path(), hex);
    tmp.release();
    progress_->finished(index,
                        short_hex(hex) + ": fetched " + std::to_string(job.blob.size) + " bytes");
  }

  const Store& store_;
  Registry& registry_;
  const PullOptions& opts_;
  Progress* progress_ = nullptr; // fetch_layers' own, while it runs
  std::mutex mu_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

// The image manifest for `want` from an index (nested indexes followed, depth-limited).
Manifest resolve_manifest(Registry& registry, HttpClient& http, const Reference& ref,
                          const Platform& want) {
  const std::string what = ref.name();
  ManifestResponse resp = registry.manifest(http, ref.manifest_ref(), max_manifest);
  std::string expect = ref.digest; // a pinned digest is checked; a tag's is what the registry says
  for (int depth = 0;; ++depth) {
    if (!expect.empty() && "sha256:" + sha256_hex(resp.body) != expect)
      throw SysError("unable to verify the manifest of '" + what +
                     "': its digest is sha256:" + sha256_hex(resp.body) + ", expected " + expect);
    const std::string kind = manifest_kind(resp, what);
    Manifest m = parse_manifest(resp.body, "manifest of " + what);
    if (kind == oci_manifest || kind == docker_manifest) {
      if (m.is_index)
        throw SysError("unable to parse the manifest of '" + what + "': an index typed as " + kind);
      return m;
    }
    if (!m.is_index || depth >= max_index_depth)
      throw SysError("unable to parse the index of '" + what + "': no image manifest in it");
    const Descriptor* chosen = nullptr;
    std::string offered;
    for (const auto& d : m.manifests) {
      if (d.platform.os.empty())
        continue; // attestations and other artifacts name no platform
      offered += (offered.empty() ? "" : ", ") + platform_string(d.platform);
      if (chosen == nullptr && platform_matches(d.platform, want))
        chosen = &d;
    }
    if (chosen == nullptr)
      throw SysError("unable to pull '" + what + "': no image for " + platform_string(want) +
                     " (it has: " + (offered.empty() ? "none" : offered) + ")");
    if (chosen->size > static_cast<std::int64_t>(max_manifest))
      throw SysError("unable to pull '" + what + "': its manifest is over the size limit");
    expect = "sha256:" + chosen->digest;
    resp = registry.manifest(http, expect, max_manifest);
  }
}

} // namespace

Platform parse_platform(std::string_view spec) {
  Platform p;
  if (spec.empty()) {
    utsname u{};
    if (::uname(&u) != 0)
      throw SysError("unable to read the machine type", {}, errno);
    const std::string_view m = u.machine;
    p.os = "linux";
    if (m == "x86_64")
      p.architecture = "amd64";
    else if (m == "aarch64")
      p.architecture = "arm64";
    else if (m.starts_with("armv7"))
      p = {"linux", "arm", "v7"};
    else if (m.starts_with("armv6"))
      p = {"linux", "arm", "v6"};
    else if (m == "i686" || m == "i386")
      p.architecture = "386";
    else if (m == "ppc64le" || m == "s390x" || m == "riscv64" || m == "mips64")
      p.architecture = std::string(m);
    else
      p.architecture = std::string(m);
    return p;
  }
  const std::size_t a = spec.find('/');
  if (a == std::string_view::npos || a == 0 || a + 1 == spec.size())
    throw SysError("invalid platform '" + std::string(spec) + "' (OS/ARCH[/VARIANT])");
  p.os = std::string(spec.substr(0, a));
  std::string_view rest = spec.substr(a + 1);
  const std::size_t b = rest.find('/');
  p.architecture = std::string(rest.substr(0, b));
  if (b != std::string_view::npos)
    p.variant = std::string(rest.substr(b + 1));
  if (p.architecture.empty() || (b != std::string_view::npos && p.variant.empty()) ||
      p.variant.find('/') != std::string::npos)
    throw SysError("invalid platform '" + std::string(spec) + "' (OS/ARCH[/VARIANT])");
  return p;
}

bool platform_matches(const Platform& have, const Platform& want) {
  if (have.os != want.os || have.architecture != want.architecture)
    return false;
  if (want.variant.empty())
    return true;
  const auto norm = [&](const std::string& v) {
    return v.empty() && have.architecture == "arm64" ? std::string("v8") : v;
  };
  return norm(have.variant) == norm(want.variant);
}

std::optional<std::string> reference_name(const std::string& ref) {
  try {
    return parse_reference(ref).name();
  } catch (const SysError&) {
    return std::nullopt;
  }
}

std::string pull_image(const Store& store, const PullOptions& opts, bool print_name) {
  if (!opts.name.empty() && !valid_image_name(opts.name))
    throw SysError("invalid image name '" + opts.name +
                   "' (letters, digits and ._:@/+- only; starts with a letter or digit)");
  const Reference ref = parse_reference(opts.reference);
  const std::string name = opts.name.empty() ? ref.name() : opts.name;
  if (!valid_image_name(name))
    throw SysError("unable to store '" + name + "': not a valid image name (use --name)");
  const Platform want = parse_platform(opts.platform);
  store.sweep_temp();
  http_global_init();
  Registry registry(ref, find_credentials(ref.domain), ca_bundle(ref.domain),
                    client_cert(ref.domain));
  HttpClient http(registry.ca_pem());
  const Manifest m = resolve_manifest(registry, http, ref, want);
  if (!known_config_type(m.config.media_type))
    throw SysError("unable to pull '" + ref.name() +
                   "': not a container image (config media type '" + m.config.media_type + "')");
  const std::string config_text = registry.small_blob(http, m.config, max_config);
  Image img;
  img.name = name;
  img.config = parse_image_config(config_text, "config of " + ref.name());
  if (img.config.diff_ids.size() != m.layers.size())
    throw SysError("unable to pull '" + ref.name() + "': " + std::to_string(m.layers.size()) +
                   " layers but " + std::to_string(img.config.diff_ids.size()) + " diff_ids");
  std::vector<LayerJob> jobs;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const Descriptor& l = m.layers[i];
    if (!known_layer_type(l.media_type))
      throw SysError("unable to pull '" + ref.name() + "': unknown layer media type '" +
                     l.media_type + "'");
    if (l.size < 0)
      throw SysError("unable to pull '" + ref.name() + "': layer sha256:" + l.digest +
                     " has no size");
    img.layers.push_back(l.digest);
    if (seen.insert(l.digest).second)
      jobs.push_back({l, img.config.diff_ids[i]});
  }
  Puller(store, registry, opts).fetch_layers(jobs);
  store.save_image(img);
  if (print_name)
    std::cout << img.name << '\n';
  return img.name;
}

} // namespace cinit::launcher
