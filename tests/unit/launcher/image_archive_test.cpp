#include "launcher/error.hpp"
#include "launcher/image/image_archive.hpp"
#include "launcher/image/sha256.hpp"
#include "launcher/image/store.hpp"
#include "tests/unit/common/temp_dir.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch.hpp>
#include <fstream>
#include <sstream>

using namespace cinit::launcher;

namespace {

// Tar entries written in the order given: a regular file, or a symlink when `link` is set.
struct Entry {
  std::string name;
  std::string data;
  std::string link;
};

std::string tar_bytes(const std::vector<Entry>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  std::string out(1 << 20, '\0');
  std::size_t used = 0;
  REQUIRE(archive_write_open_memory(a, out.data(), out.size(), &used) == ARCHIVE_OK);
  for (const auto& en : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, en.name.c_str());
    if (en.link.empty()) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(en.data.size()));
    } else {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_perm(e, 0777);
      archive_entry_set_symlink(e, en.link.c_str());
    }
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (!en.data.empty())
      REQUIRE(archive_write_data(a, en.data.data(), en.data.size()) ==
              static_cast<la_ssize_t>(en.data.size()));
    archive_entry_free(e);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
  out.resize(used);
  return out;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string read_file(const std::string& path) {
  std::ostringstream s;
  s << std::ifstream(path, std::ios::binary).rdbuf();
  return s.str();
}

} // namespace

// skopeo's order: the layer first, then the config, the <id>/layer.tar link, manifest.json.
TEST_CASE("image archive: a docker-archive's layer, spooled or streamed") {
  const cinit::test::TempDir dir;
  const std::string layer = tar_bytes({{"hello", "world", ""}});
  const std::string hex = sha256_hex(layer);
  const std::string config =
      R"({"config": {"Cmd": ["/hello"]}, "rootfs": {"type": "layers", "diff_ids": ["sha256:)" +
      hex + R"("]}})";
  const std::string cfg_hex = sha256_hex(config);
  const std::string manifest =
      R"([{"Config": ")" + cfg_hex + R"(.json", "RepoTags": ["t:1"], "Layers": ["id/layer.tar"]}])";
  write_file(dir / "docker.tar", tar_bytes({{hex + ".tar", layer, ""},
                                            {cfg_hex + ".json", config, ""},
                                            {"id/layer.tar", "", "../" + hex + ".tar"},
                                            {"manifest.json", manifest, ""}}));
  // 0: every layer streams from the archive; the default: copied into memory first.
  for (const std::uint64_t limit : {std::uint64_t{0}, default_spool_limit}) {
    const Store store(dir / ("store-" + std::to_string(limit)));
    const auto src = read_image_archive(store, dir / "docker.tar", limit);
    REQUIRE(src);
    CHECK(src->has("manifest.json"));
    CHECK(src->text(cfg_hex + ".json") == config);
    CHECK_THROWS_WITH(src->text("id/layer.tar"), Catch::Contains("not a JSON document"));
    CHECK_THROWS_WITH(src->add_layers({{"id/layer.tar", hex, {.sha256 = {}, .diff_id = cfg_hex}}}),
                      Catch::Contains("diff_id is sha256:" + cfg_hex));
    CHECK_FALSE(store.has_layer(hex));
    src->add_layers({{"id/layer.tar", hex, {.sha256 = {}, .diff_id = hex}}});
    REQUIRE(store.has_layer(hex));
    CHECK(read_file(store.layer_path(hex) + "/hello") == "world");
  }
}

TEST_CASE("image archive: a root filesystem tar is none") {
  const cinit::test::TempDir dir;
  write_file(dir / "rootfs.tar", tar_bytes({{"bin/tool", "x", ""}, {"manifest.json", "[]", ""}}));
  const Store store(dir / "store");
  CHECK_FALSE(read_image_archive(store, dir / "rootfs.tar"));
}
