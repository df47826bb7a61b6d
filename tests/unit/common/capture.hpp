// Test support: run a program (through common/spawn) and capture its stdout and exit status.
#pragma once

#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"

#include <catch.hpp>
#include <string>
#include <sys/wait.h>
#include <utility>
#include <vector>

namespace cinit::test {

inline std::pair<int, std::string> capture_stdout(const std::vector<std::string>& argv,
                                                  const std::vector<std::string>& env) {
  Pipe out;
  REQUIRE(make_pipe(out));
  SpawnOptions opts;
  opts.stdout_fd = out.write.get();
  const SpawnResult r = spawn(argv, env, opts);
  REQUIRE(r.pid > 0);
  out.write.reset();
  const std::optional<std::string> text = read_all(out.read.get());
  int status = 0;
  REQUIRE(::waitpid(r.pid, &status, 0) == r.pid);
  REQUIRE(text);
  return {shell_status(status), *text};
}

} // namespace cinit::test
