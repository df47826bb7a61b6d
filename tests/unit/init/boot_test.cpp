#include "common/syscall.hpp"
#include "init/boot.hpp"

#include <catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>

namespace fs = std::filesystem;
using cinit::Env;
using cinit::init::ContainerEnv;
using cinit::init::Paths;

namespace {

struct TempTree {
  fs::path root;
  TempTree() {
    char tmpl[] = "/tmp/cinit-boot-test.XXXXXX";
    root = ::mkdtemp(tmpl);
  }
  ~TempTree() { fs::remove_all(root); }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  Paths paths() const {
    Paths p;
    p.env_dir = root / "container_environment";
    p.env_sh = root / "container_environment.sh";
    p.env_json = root / "container_environment.json";
    p.init_dir = root / "my_init.d";
    p.group_file = root / "group";
    return p;
  }
  void write(const std::string& rel, const std::string& text, fs::perms mode = fs::perms(0644)) {
    fs::create_directories((root / rel).parent_path());
    REQUIRE(cinit::write_file_atomic(root / rel, text, 0644));
    fs::permissions(root / rel, mode);
  }
};

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

} // namespace

TEST_CASE("initial import: inherited variables win, the dir fills in the rest") {
  TempTree t;
  t.write("container_environment/A", "from-dir\n");
  t.write("container_environment/B", "only-dir\n\n");
  ContainerEnv env(Env{{"A", "inherited"}}, t.paths());
  env.import_initial();
  CHECK(env.env().at("A") == "inherited");
  CHECK(env.env().at("B") == "only-dir\n");
}

TEST_CASE("re-import replaces the environment but keeps HOME, USER and SHELL") {
  TempTree t;
  t.write("container_environment/KEEP", "k");
  ContainerEnv env(Env{{"HOME", "/root"}, {"USER", "root"}, {"GONE", "x"}}, t.paths());
  env.import_initial();
  fs::remove(t.root / "container_environment/KEEP");
  t.write("container_environment/NEW", "n");
  t.write("container_environment/USER", "app");
  env.reimport();
  CHECK(env.env() == Env{{"HOME", "/root"}, {"NEW", "n"}, {"USER", "app"}});
}

TEST_CASE("dump writes dir, .sh and .json with private modes and no temp files") {
  TempTree t;
  fs::create_directories(t.root / "container_environment");
  ContainerEnv env(Env{{"HOME", "/root"}, {"Q", "it's"}}, t.paths());
  env.dump(true);
  CHECK(cinit::read_file(t.root / "container_environment/Q") == "it's");
  CHECK_FALSE(fs::exists(t.root / "container_environment/HOME"));
  CHECK(cinit::read_file(t.root / "container_environment.sh") == "export Q='it'\"'\"'s'\n");
  CHECK(cinit::read_file(t.root / "container_environment.json") ==
        R"({"HOME":"/root","Q":"it's"})");
  CHECK(mode_of(t.root / "container_environment") == 0750);
  CHECK(mode_of(t.root / "container_environment/Q") == 0640);
  CHECK(mode_of(t.root / "container_environment.sh") == 0640);
  for (const auto& e : fs::directory_iterator(t.root / "container_environment"))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
}

TEST_CASE("no dumps without the env dir (as my_init)") {
  TempTree t;
  ContainerEnv env(Env{{"A", "1"}}, t.paths());
  env.import_initial();
  env.dump(true);
  CHECK_FALSE(fs::exists(t.root / "container_environment.sh"));
  CHECK_FALSE(fs::exists(t.root / "container_environment.json"));
}

TEST_CASE("startup scripts: executable regular files in byte order, dot-files included") {
  TempTree t;
  for (const char* name : {"02_a", "10_b", "12", "1_x", "B", "a", ".dot"})
    t.write(std::string("my_init.d/") + name, "#!/bin/sh\n", fs::perms(0755));
  t.write("my_init.d/not_exec", "#!/bin/sh\n", fs::perms(0644));
  fs::create_directories(t.root / "my_init.d/dir");
  std::vector<std::string> names;
  for (const std::string& p : cinit::init::startup_scripts(t.paths().init_dir))
    names.push_back(fs::path(p).filename());
  CHECK(names == std::vector<std::string>{".dot", "02_a", "10_b", "12", "1_x", "B", "a"});
  CHECK(cinit::init::startup_scripts((t.root / "missing").string()).empty());
}
