#include "common/syscall.hpp"
#include "launcher/error.hpp"
#include "launcher/image/import.hpp"
#include "launcher/image/oci.hpp"
#include "launcher/image/sha256.hpp"
#include "launcher/image/store.hpp"
#include "launcher/image/unpack.hpp"
#include "launcher/run/idmap.hpp"
#include "launcher/run/mounts.hpp"
#include "launcher/run/runtime.hpp"
#include "tests/unit/common/temp_dir.hpp"

#include <catch.hpp>
#include <fstream>
#include <sys/stat.h>

using namespace cinit::launcher;

TEST_CASE("sha256: known vectors, incremental") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string long_msg(1000, 'a');
  Sha256 h;
  for (std::size_t i = 0; i < long_msg.size(); i += 7)
    h.update(long_msg.substr(i, 7));
  CHECK(h.hex_digest() == sha256_hex(long_msg));
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("unpack: entry paths") {
  using V = std::vector<std::string>;
  CHECK(split_entry_path("./a//b/") == V{"a", "b"});
  CHECK(split_entry_path(".") == V{});
  CHECK(split_entry_path("a/./b") == V{"a", "b"});
  CHECK_FALSE(split_entry_path("/etc/passwd"));
  CHECK_FALSE(split_entry_path("a/../../b"));
  CHECK_FALSE(split_entry_path(".."));
  CHECK(split_entry_path("..a/b..") == V{"..a", "b.."});
}

TEST_CASE("oci: manifests, configs, digests") {
  const std::string hex(64, 'a');
  const Manifest idx = parse_manifest(
      R"({"manifests":[{"mediaType":"m","digest":"sha256:)" + hex +
          R"(","size":3,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]})",
      "index.json");
  REQUIRE(idx.is_index);
  CHECK(idx.manifests.at(0).digest == hex);
  CHECK(idx.manifests.at(0).ref_name == "latest");
  const Manifest m = parse_manifest(R"({"config":{"digest":"sha256:)" + hex +
                                        R"("},"layers":[{"digest":"sha256:)" + hex + R"("}]})",
                                    "m");
  CHECK_FALSE(m.is_index);
  CHECK(m.layers.size() == 1);
  const ImageConfig c = parse_image_config(
      R"({"config":{"Env":["A=1"],"Entrypoint":["/e"],"Cmd":null,"WorkingDir":"/w","User":"u:g"},)"
      R"("rootfs":{"diff_ids":["sha256:)" +
          hex + R"("]}})",
      "c");
  CHECK(c.env == std::vector<std::string>{"A=1"});
  CHECK(c.entrypoint == std::vector<std::string>{"/e"});
  CHECK(c.cmd.empty());
  CHECK(c.working_dir == "/w");
  CHECK(c.user == "u:g");
  CHECK(c.diff_ids == std::vector<std::string>{hex});
  const ImageConfig back = parse_image_config(image_config_to_json(c), "back");
  CHECK(back.env == c.env);
  CHECK(back.diff_ids == c.diff_ids);
  CHECK(back.user == "u:g");
  CHECK_THROWS_AS(parse_image_config(R"({"config":{"User":7}})", "x"), SysError);
  CHECK_THROWS_AS(digest_hex("sha512:" + hex, "x"), SysError);
  CHECK_THROWS_AS(digest_hex("sha256:../../etc", "x"), SysError);
  CHECK_THROWS_AS(parse_manifest("[1]", "x"), SysError);
  CHECK_THROWS_AS(parse_manifest("{", "x"), SysError);
  CHECK_THROWS_AS(parse_image_config(R"({"config":{"Env":"A=1"}})", "x"), SysError);
  const auto d = parse_docker_manifest(
      R"([{"Config":"c.json","RepoTags":["a:1"],"Layers":["x/layer.tar"]}])", "manifest.json");
  CHECK(d.at(0).repo_tags.at(0) == "a:1");
  CHECK_THROWS_AS(parse_docker_manifest(R"([{"Layers":[]}])", "m"), SysError);
}

TEST_CASE("idmap: subuid lines by name or uid") {
  const std::string text = "alice:100000:65536\n# x\n1002:200000:1000\nbob:1:0\n";
  const auto a = find_subid_range(text, "alice", 1001);
  REQUIRE(a);
  CHECK(a->start == 100000);
  CHECK(a->count == 65536);
  const auto byid = find_subid_range(text, "carol", 1002);
  REQUIRE(byid);
  CHECK(byid->start == 200000);
  CHECK_FALSE(find_subid_range(text, "bob", 5)); // zero count: no range
  CHECK_FALSE(find_subid_range(text, "dave", 7));
  CHECK_FALSE(find_subid_range("eve:x:10\n", "eve", 1));
}

TEST_CASE("store: names, filesystems") {
  CHECK(valid_image_name("busybox:1.36"));
  CHECK(valid_image_name("docker.io/library/debian:12"));
  CHECK_FALSE(valid_image_name("../x"));
  CHECK_FALSE(valid_image_name(""));
  CHECK_FALSE(valid_image_name("a b"));
  CHECK_FALSE(valid_image_name("a/../../b"));
  CHECK(unsuitable_for_layers(0x6969));           // NFS
  CHECK(unsuitable_for_layers(0x65735546));       // FUSE
  CHECK_FALSE(unsuitable_for_layers(0xEF53));     // ext4
  CHECK_FALSE(unsuitable_for_layers(0x01021994)); // tmpfs
  CHECK(default_image_name("/x/busybox.tar.gz") == "busybox");
  CHECK(default_image_name("/x/my layout/") == "my-layout");
  CHECK(default_image_name("/x/.hidden") == "hidden");
  // Found by store_fuzz: derived names must be valid ones too.
  CHECK(default_image_name("/x/my..image.tar") == "my.-image");
  CHECK(valid_image_name(default_image_name("/x/" + std::string(300, 'a') + ".tar")));
  // Found by store_fuzz: images/NAME.json, '/' as %2F, must fit in a file name.
  CHECK(valid_image_name("registry.example.com:5000/org/team/project/image:v1"));
  std::string slashes;
  for (int i = 0; i < 90; ++i)
    slashes += "a/";
  CHECK_FALSE(valid_image_name(slashes + "a"));
}

// Found by store_fuzz: a damaged record was a json type_error, naming no file.
TEST_CASE("store: a damaged image record is an error naming it") {
  cinit::test::TempDir tmp;
  const Store store(tmp.path() + "/root");
  const std::string path = tmp.path() + "/root/images/x.json";
  REQUIRE(cinit::write_file_atomic(path, R"({"name":"x","layers":[1],"config":{}})", 0600));
  try {
    (void)store.list_images();
    FAIL("no error");
  } catch (const SysError& e) {
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}

// Two imports of one name at once once shared the temp file images/.NAME.json.tmp: the second
// unlinked the first's, whose rename then failed. Each now writes in a temp dir of its own.
TEST_CASE("store: an image record is written through a temp dir of this process") {
  const cinit::test::TempDir dir;
  const Store store(dir / "store");
  const std::string other = dir / "store/images/.twin.json.tmp"; // another import's, in flight
  std::ofstream(other) << "{}";
  Image img;
  img.name = "twin";
  img.layers = {std::string(64, 'a')};
  store.save_image(img);
  struct stat st {};
  CHECK(::stat(other.c_str(), &st) == 0);
  const auto loaded = store.load_image("twin");
  REQUIRE(loaded);
  CHECK(loaded->layers == img.layers);
  const auto left = cinit::list_dir(dir / "store/tmp");
  REQUIRE(left);
  CHECK(left->empty());
}

TEST_CASE("mounts: overlay options") {
  CHECK(overlay_options({"top", "bottom"}, "../u", "../w") ==
        "lowerdir=top:bottom,upperdir=../u,workdir=../w,userxattr");
  CHECK_THROWS_AS(overlay_options({}, "u", "w"), SysError);
  CHECK_THROWS_AS(overlay_options({"a:b"}, "u", "w"), SysError);
  CHECK_THROWS_AS(overlay_options({"a"}, "u,x", "w"), SysError);
}

TEST_CASE("runtime: command and environment") {
  ImageConfig cfg;
  cfg.entrypoint = {"/init"};
  cfg.cmd = {"default"};
  CHECK(container_command(cfg, {}) == std::vector<std::string>{"/init", "default"});
  CHECK(container_command(cfg, {"x", "y"}) == std::vector<std::string>{"/init", "x", "y"});
  const char* host[] = {"FROM_HOST=h", "PATH=/host", nullptr};
  const auto env =
      container_env({"PATH=/img", "A=1"}, {"A=2", "FROM_HOST", "MISSING", "B="}, "box", host);
  // HOME is not defaulted here: it comes from the container user's passwd entry, later.
  CHECK(env == std::vector<std::string>{"A=2", "B=", "FROM_HOST=h", "HOSTNAME=box", "PATH=/img"});
}

TEST_CASE("runtime: the job's Slurm, PMI and Open MPI variables reach the container") {
  const char* host[] = {"SLURM_PROCID=3", "SLURMD_NODENAME=n1",     "PMI_FD=7",
                        "PMIX_RANK=3",    "OMPI_COMM_WORLD_SIZE=4", "SLURM_JOB_ID=9",
                        "PATH=/host",     "CUDA_VISIBLE_DEVICES=2", "SLURMX=no",
                        nullptr};
  const auto env = container_env({"PATH=/img", "SLURM_PROCID=image", "OMPI_X=img"},
                                 {"SLURM_JOB_ID=cli"}, "box", host);
  // Over the image's values, under -e; nothing else of the host's (PATH, CUDA_*) comes in.
  CHECK(env == std::vector<std::string>{"HOSTNAME=box", "OMPI_COMM_WORLD_SIZE=4", "OMPI_X=img",
                                        "PATH=/img", "PMIX_RANK=3", "PMI_FD=7",
                                        "SLURMD_NODENAME=n1", "SLURM_JOB_ID=cli",
                                        "SLURM_PROCID=3"});
}
