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
}

TEST_CASE("the launcher command line: mounts, batch script, workdir, image") {
  const ContainerOptions opts{"img", "/a:/b:ro,/c:/d:rw,/e", "/w"};
  CHECK(launcher_argv("/usr/bin/launcher", opts, "") ==
        std::vector<std::string>{"/usr/bin/launcher", "run", "-v", "/a:/b:ro", "-v", "/c:/d", "-v",
                                 "/e:/e", "-w", "/w", "img"});
  // A path goes to the launcher as given: it imports it on first use.
  CHECK(launcher_argv("L", ContainerOptions{"./app.tar", "", ""}, "/spool/job1/slurm_script") ==
        std::vector<std::string>{
            "L", "run", "-v", "/spool/job1/slurm_script:/spool/job1/slurm_script:ro", "./app.tar"});
}

TEST_CASE("lines carried in the environment come back as they went") {
  const std::vector<std::string> parts{"/usr/bin/launcher", "run", "-v", "/a:/b", "img"};
  CHECK(split_lines(join_lines(parts)) == parts);
  CHECK(split_lines("").empty());
}
