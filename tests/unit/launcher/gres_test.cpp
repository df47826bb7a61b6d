// gres.conf and Slurm host lists: which files are a node's GPUs, in Slurm's order.
#include "launcher/error.hpp"
#include "launcher/gpu/gres.hpp"

#include <catch.hpp>

using cinit::launcher::expand_hostlist;
using cinit::launcher::gres_gpu_files;
using Names = std::vector<std::string>;

TEST_CASE("gres: host lists expand ranges, keep zero padding and top-level commas") {
  CHECK(expand_hostlist("n1", "x") == Names{"n1"});
  CHECK(expand_hostlist("n[1-3,7],gpu05", "x") == Names{"n1", "n2", "n3", "n7", "gpu05"});
  CHECK(expand_hostlist("n[08-10]", "x") == Names{"n08", "n09", "n10"});
  CHECK(expand_hostlist("r[1-2]n[1-2]", "x") == Names{"r1n1", "r1n2", "r2n1", "r2n2"});
  CHECK(expand_hostlist("/dev/nvidia[2-5]", "x") ==
        Names{"/dev/nvidia2", "/dev/nvidia3", "/dev/nvidia4", "/dev/nvidia5"});
  CHECK_THROWS_WITH(expand_hostlist("n[3-1]", "g.conf:2"), "g.conf:2: bad range '3-1' in 'n[3-1]'");
  CHECK_THROWS_WITH(expand_hostlist("n[1-", "g.conf:2"), "g.conf:2: unbalanced '[' in 'n[1-'");
  CHECK_THROWS_WITH(expand_hostlist("n[a]", "g.conf:2"), "g.conf:2: bad range 'a' in 'n[a]'");
  CHECK_THROWS_AS(expand_hostlist("n[0-99999][0-99999]", "x"), cinit::launcher::SysError);
}

TEST_CASE("gres: a node's GPU files in file order, lines for other nodes and GRES left out") {
  const std::string conf = "# gres.conf\n"
                           "AutoDetect=off\n"
                           "NodeName=a[1-2] Name=gpu Type=h100 File=/dev/nvidia[4-5] Cores=0-7\n"
                           "nodename=a2 NAME=gpu file=/dev/nvidia0 # lower-case keys\n"
                           "NodeName=b1 Name=gpu File=/dev/nvidia[0-3]\n"
                           "NodeName=a[1-2] Name=mps Count=100 File=/dev/nvidia0\n"
                           "Name=gpu File=/dev/nvidia7\n"
                           "NodeName=a1 Name=gpu Count=2\n"
                           "garbage without equals\n";
  CHECK(gres_gpu_files(conf, "a2", "g") ==
        Names{"/dev/nvidia4", "/dev/nvidia5", "/dev/nvidia0", "/dev/nvidia7"});
  CHECK(gres_gpu_files(conf, "b1", "g") ==
        Names{"/dev/nvidia0", "/dev/nvidia1", "/dev/nvidia2", "/dev/nvidia3", "/dev/nvidia7"});
  CHECK(gres_gpu_files(conf, "c9", "g") == Names{"/dev/nvidia7"});
  CHECK(gres_gpu_files("AutoDetect=nvml\n", "a1", "g").empty());
  CHECK(gres_gpu_files("", "a1", "g").empty());
  CHECK_THROWS_WITH(gres_gpu_files("\nNodeName=a[1-x] Name=gpu File=/dev/nvidia0\n", "a1",
                                   "/etc/slurm/gres.conf"),
                    "/etc/slurm/gres.conf:2: bad range '1-x' in 'a[1-x]'");
}
