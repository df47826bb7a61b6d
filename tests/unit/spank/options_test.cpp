// The SPANK plugin's option checks and the launcher command line they make.
#include "spank/options.hpp"

#include <catch.hpp>
#include <string>
#include <vector>

using namespace cinit::spank;

TEST_CASE("container mounts: SRC[:DST[:ro|rw]], comma-separated, absolute") {
  CHECK(mounts_error("/a:/b").empty());
  CHECK(mounts_error("/a").empty());
  CHECK(mounts_error("/a:/b:ro,/c:/d:rw,/e").empty());
  CHECK(mounts_error("a:/b") == "'a:/b': 'a' is not an absolute path");
  CHECK(mounts_error("/a:b") == "'/a:b': 'b' is not an absolute path");
  CHECK(mounts_error("rel") == "'rel' is not an absolute path");
  CHECK(mounts_error("/a:/b:rx") == "'/a:/b:rx': unknown flag 'rx' (ro or rw)");
  CHECK(mounts_error("/a:/b:ro:x") == "'/a:/b:ro:x' is not SRC[:DST[:ro|rw]]");
  CHECK(mounts_error("/a:/b,") == "'' is not SRC[:DST[:ro|rw]]");
  CHECK(mounts_error("") == "'' is not SRC[:DST[:ro|rw]]");
  CHECK(mounts_error("/a\n:/b") == "a newline is not allowed");
}

TEST_CASE("container workdir and image values") {
  CHECK(workdir_error("/work").empty());
  CHECK(workdir_error("work") == "'work' is not an absolute path");
  CHECK(workdir_error("") == "'' is not an absolute path");
  CHECK(image_error("debian:12").empty());
  CHECK(!image_error("").empty());
  CHECK(image_error("a\nb") == "a newline is not allowed");
  CHECK(image_is_path("/shared/img.tar"));
  CHECK(image_is_path("./img.tar"));
  CHECK(!image_is_path("docker.io/library/debian:12"));
  CHECK(!image_is_path("base"));
}

TEST_CASE("the launcher command line: mounts, batch script, workdir, image") {
  const ContainerOptions opts{"img", "/a:/b:ro,/c:/d:rw,/e", "/w"};
  CHECK(launcher_argv("/usr/bin/launcher", opts, "img", "") ==
        std::vector<std::string>{"/usr/bin/launcher", "run", "-v", "/a:/b:ro", "-v", "/c:/d", "-v",
                                 "/e:/e", "-w", "/w", "img"});
  CHECK(launcher_argv("L", ContainerOptions{"x", "", ""}, "stored", "/spool/job1/slurm_script") ==
        std::vector<std::string>{"L", "run", "-v",
                                 "/spool/job1/slurm_script:/spool/job1/slurm_script:ro", "stored"});
}

TEST_CASE("archive names: stable, valid in the store, changed with the file") {
  const std::string a = archive_image_name("/shared/my image.tar.gz", 10, 20);
  CHECK(a.starts_with("file-my-image-"));
  CHECK(a.size() == std::string("file-my-image-").size() + 16);
  CHECK(archive_image_name("/shared/my image.tar.gz", 10, 20) == a);
  CHECK(archive_image_name("/shared/my image.tar.gz", 10, 21) != a);
  CHECK(archive_image_name("/shared/my image.tar.gz", 11, 20) != a);
  CHECK(archive_image_name("/other/my image.tar.gz", 10, 20) != a);
  CHECK(archive_image_name("/x/a..b.tar", 1, 1).find("..") == std::string::npos);
}

TEST_CASE("lines carried in the environment come back as they went") {
  const std::vector<std::string> parts{"/usr/bin/launcher", "run", "-v", "/a:/b", "img"};
  CHECK(split_lines(join_lines(parts)) == parts);
  CHECK(split_lines("").empty());
}
