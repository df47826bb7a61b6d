// Service directory checks, supervise/ preparation (Debian's dangling supervise symlink)
// and the small parsers of the supervisor.
#include "common/syscall.hpp"
#include "supervisor/service_dir.hpp"
#include "tests/unit/common/temp_dir.hpp"

#include <catch.hpp>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using cinit::test::TempDir;
using namespace cinit::supervisor;

namespace {

void write(const std::string& path, const std::string& text, mode_t mode) {
  REQUIRE(cinit::write_file_atomic(path, text, mode));
}

} // namespace

TEST_CASE("service names: what the supervisor supervises, and where sv looks") {
  CHECK(service_name("nginx"));
  CHECK(service_name("a.b-c_d"));
  CHECK_FALSE(service_name(""));
  CHECK_FALSE(service_name("."));
  CHECK_FALSE(service_name(".."));
  CHECK_FALSE(service_name(".meta"));
  CHECK_FALSE(service_name("a/b"));
  CHECK(service_path("/etc/service", "nginx") == "/etc/service/nginx");
  CHECK(service_path("/etc/service", "nginx//") == "/etc/service/nginx");
  CHECK(service_path("/etc/service", "/srv/x/") == "/srv/x");
  CHECK(service_path("/etc/service", "./x") == "./x");
  CHECK(service_path("/etc/service", "/") == "/");
  // runit's sv: chdir("") fails, so an empty name is no directory at all.
  CHECK(service_path("/etc/service", "").empty());
}

TEST_CASE("notification-fd parsing") {
  CHECK(parse_notification_fd("3") == 3);
  CHECK(parse_notification_fd("5\n") == 5);
  CHECK(parse_notification_fd("1023") == 1023);
  CHECK_FALSE(parse_notification_fd("2"));
  CHECK_FALSE(parse_notification_fd("1024"));
  CHECK_FALSE(parse_notification_fd(""));
  CHECK_FALSE(parse_notification_fd("\n"));
  CHECK_FALSE(parse_notification_fd("3 "));
  CHECK_FALSE(parse_notification_fd("-4"));
  CHECK_FALSE(parse_notification_fd("99999"));
}

TEST_CASE("inspect_service_dir accepts a good dir and names what is wrong with bad ones") {
  TempDir t;
  const std::string dir = t / "svc";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  Inspection r = inspect_service_dir(dir);
  CHECK_FALSE(r.info);
  CHECK(r.problem.find(dir + "/run") != std::string::npos);

  write(dir + "/run", "#!/bin/sh\n", 0644);
  r = inspect_service_dir(dir);
  CHECK_FALSE(r.info);
  CHECK(r.problem.find("execute") != std::string::npos);

  write(dir + "/run", "#!/bin/sh\n", 0755);
  r = inspect_service_dir(dir);
  REQUIRE(r.info);
  CHECK_FALSE(r.info->has_log);
  CHECK_FALSE(r.info->down);

  write(dir + "/down", "", 0644);
  REQUIRE(::mkdir((dir + "/log").c_str(), 0755) == 0);
  r = inspect_service_dir(dir);
  CHECK_FALSE(r.info); // log/ without log/run
  CHECK(r.problem.find(dir + "/log/run") != std::string::npos);
  write(dir + "/log/run", "#!/bin/sh\n", 0755);
  r = inspect_service_dir(dir);
  REQUIRE(r.info);
  CHECK(r.info->has_log);
  CHECK(r.info->down);

  write(dir + "/notification-fd", "2\n", 0644);
  r = inspect_service_dir(dir);
  CHECK_FALSE(r.info);
  CHECK(r.problem.find("notification-fd") != std::string::npos);
}

TEST_CASE("a run that is a directory or a FIFO is refused") {
  TempDir t;
  const std::string a = t / "a";
  const std::string b = t / "b";
  REQUIRE(::mkdir(a.c_str(), 0755) == 0);
  REQUIRE(::mkdir((a + "/run").c_str(), 0755) == 0);
  REQUIRE(::mkdir(b.c_str(), 0755) == 0);
  REQUIRE(::mkfifo((b + "/run").c_str(), 0755) == 0);
  for (const std::string& d : {a, b}) {
    const Inspection r = inspect_service_dir(d);
    CHECK_FALSE(r.info);
    CHECK(r.problem == "'" + d + "/run' is not a regular file");
  }
}

TEST_CASE("prepare_supervise creates runit's files and holds the lock") {
  TempDir t;
  const std::string dir = t / "svc";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  SuperviseFds fds;
  REQUIRE(prepare_supervise(dir, fds).empty());
  struct stat st {};
  REQUIRE(::stat((dir + "/supervise").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  REQUIRE(::stat((dir + "/supervise/control").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  REQUIRE(::stat((dir + "/supervise/ok").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  // sv's liveness probe succeeds while we hold ok open for reading.
  const int probe = ::open((dir + "/supervise/ok").c_str(), O_WRONLY | O_NONBLOCK);
  CHECK(probe >= 0);
  if (probe >= 0)
    ::close(probe);
  // A second supervisor is refused by the lock.
  SuperviseFds second;
  CHECK(prepare_supervise(dir, second).find("lock") != std::string::npos);
  fds = SuperviseFds{};
  CHECK(::open((dir + "/supervise/ok").c_str(), O_WRONLY | O_NONBLOCK) == -1);
  CHECK(errno == ENXIO);
}

TEST_CASE("prepare_supervise creates the target of a dangling supervise symlink") {
  TempDir t;
  const std::string dir = t / "svc";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  const std::string target = t / "run/runit/supervise/svc";
  REQUIRE(::symlink(target.c_str(), (dir + "/supervise").c_str()) == 0);
  SuperviseFds fds;
  REQUIRE(prepare_supervise(dir, fds).empty());
  struct stat st {};
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  CHECK(::stat((target + "/control").c_str(), &st) == 0);
}

TEST_CASE("prepare_supervise refuses a regular file where the control FIFO belongs") {
  TempDir t;
  const std::string dir = t / "svc";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  REQUIRE(::mkdir((dir + "/supervise").c_str(), 0700) == 0);
  write(dir + "/supervise/control", "", 0600);
  SuperviseFds fds;
  CHECK(prepare_supervise(dir, fds) == "'" + dir + "/supervise/control' is not a FIFO");
}

TEST_CASE("status files are written as runsv writes them") {
  TempDir t;
  const std::string dir = t / "svc";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  REQUIRE(::mkdir((dir + "/supervise").c_str(), 0700) == 0);
  Status s;
  s.unix_seconds = 1700000000;
  s.pid = 42;
  s.state = RunState::run;
  s.want_up = false;
  WrittenStatus last;
  REQUIRE(write_status_files(dir, s, Want::down, last));
  CHECK(cinit::read_file(dir + "/supervise/pid") == "42\n");
  CHECK(cinit::read_file(dir + "/supervise/stat") == "run, want down\n");
  const std::optional<std::string> raw = cinit::read_file(dir + "/supervise/status");
  REQUIRE(raw);
  REQUIRE(raw->size() == 20);
  CHECK(decode_status(*raw)->pid == 42);
  s.pid = 0;
  s.state = RunState::down;
  REQUIRE(write_status_files(dir, s, Want::down, last));
  CHECK(cinit::read_file(dir + "/supervise/pid") == "");
  CHECK(read_ready_file(dir) == 0);
  write_ready_file(dir, 77);
  CHECK(read_ready_file(dir) == 77);
  remove_ready_file(dir);
  CHECK(read_ready_file(dir) == 0);
}

TEST_CASE("status files that did not change are not written again") {
  TempDir t;
  const std::string dir = t / "svc";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  REQUIRE(::mkdir((dir + "/supervise").c_str(), 0700) == 0);
  const auto inode = [&](const char* name) {
    struct stat st {};
    REQUIRE(::stat((dir + "/supervise/" + name).c_str(), &st) == 0);
    return st.st_ino;
  };
  Status s;
  s.unix_seconds = 1700000000;
  s.pid = 42;
  s.state = RunState::run;
  WrittenStatus last;
  REQUIRE(write_status_files(dir, s, Want::up, last));
  const ino_t pid_ino = inode("pid");
  const ino_t stat_ino = inode("stat");
  const ino_t status_ino = inode("status");
  // got TERM: stat and status change, pid does not (each write is a new inode, via rename).
  s.got_term = true;
  REQUIRE(write_status_files(dir, s, Want::up, last));
  CHECK(inode("pid") == pid_ino);
  CHECK(inode("stat") != stat_ino);
  CHECK(inode("status") != status_ino);
  CHECK(cinit::read_file(dir + "/supervise/stat") == "run, got TERM\n");
  // Nothing changed: nothing written.
  const ino_t status_ino2 = inode("status");
  REQUIRE(write_status_files(dir, s, Want::up, last));
  CHECK(inode("status") == status_ino2);
  // Forgotten (a failed write, or a new supervisor): all three again.
  last.valid = false;
  REQUIRE(write_status_files(dir, s, Want::up, last));
  CHECK(inode("pid") != pid_ino);
}
