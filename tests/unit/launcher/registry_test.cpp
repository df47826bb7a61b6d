#include "launcher/cli.hpp"
#include "launcher/error.hpp"
#include "launcher/image/sha256.hpp"
#include "launcher/image/unpack.hpp"
#include "launcher/registry/base64.hpp"
#include "launcher/registry/challenge.hpp"
#include "launcher/registry/credentials.hpp"
#include "launcher/registry/http.hpp"
#include "launcher/registry/login.hpp"
#include "launcher/registry/progress.hpp"
#include "launcher/registry/pull.hpp"
#include "launcher/registry/reference.hpp"
#include "launcher/registry/registry.hpp"
#include "tests/unit/common/temp_dir.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch.hpp>
#include <fcntl.h>
#include <unistd.h>

using namespace cinit::launcher;

TEST_CASE("reference: Docker's forms, normalized") {
  const Reference d = parse_reference("debian");
  CHECK(d.domain == "docker.io");
  CHECK(d.repository == "library/debian");
  CHECK(d.tag == "latest");
  CHECK(d.name() == "docker.io/library/debian:latest");
  CHECK(d.api_host() == "registry-1.docker.io");
  CHECK(d.api_port() == 443);
  CHECK(parse_reference("docker://debian:12").name() == "docker.io/library/debian:12");
  CHECK(parse_reference("user/app").name() == "docker.io/user/app:latest");
  CHECK(parse_reference("index.docker.io/library/busybox").name() ==
        "docker.io/library/busybox:latest");
  const Reference p = parse_reference("127.0.0.1:5000/a/b-c__d.e:v1.2_3");
  CHECK(p.domain == "127.0.0.1:5000");
  CHECK(p.repository == "a/b-c__d.e");
  CHECK(p.tag == "v1.2_3");
  CHECK(p.api_host() == "127.0.0.1");
  CHECK(p.api_port() == 5000);
  CHECK(parse_reference("localhost/x").domain == "localhost");
  CHECK(parse_reference("nvcr.io/nvidia/pytorch:24.01-py3").api_host() == "nvcr.io");
  const std::string hex(64, 'a');
  const Reference pinned = parse_reference("ghcr.io/o/r@sha256:" + hex);
  CHECK(pinned.tag.empty());
  CHECK(pinned.digest == "sha256:" + hex);
  CHECK(pinned.manifest_ref() == "sha256:" + hex);
  CHECK(pinned.name() == "ghcr.io/o/r@sha256:" + hex);
  CHECK(parse_reference("r:t@sha256:" + hex).name() == "docker.io/library/r:t@sha256:" + hex);
  const Reference v6 = parse_reference("[::1]:5000/x");
  CHECK(v6.api_host() == "::1");
  CHECK(v6.api_port() == 5000);
  // A first component without '.', ':' or "localhost" is a path, not a host.
  CHECK(parse_reference("myhost/x").domain == "docker.io");
  for (const char* bad :
       {"",         "docker://",   "Debian",   "a//b",         "a/",     "-a",
        "a-",       "a:",          "a:-x",     "a@sha256:abc", "a@md5:", "host:99999/x",
        "h.io:0/x", "h.io:0000/x", "host:/x",  ":tag",         "a b",    "a/B",
        "a..b",     "a___b",       "h..com/x", "[zz]:5/x"})
    CHECK_THROWS_AS(parse_reference(bad), SysError);
  CHECK_THROWS_AS(parse_reference("a:" + std::string(129, 't')), SysError);
  CHECK_THROWS_AS(parse_reference("h.io/" + std::string(260, 'a')), SysError);
  CHECK(reference_name("busybox") == "docker.io/library/busybox:latest");
  CHECK_FALSE(reference_name("Not/Valid"));
}

TEST_CASE("challenge: WWW-Authenticate as registries send it") {
  auto c =
      parse_challenges(R"(Bearer realm="https://auth.docker.io/token",)"
                       R"(service="registry.docker.io",scope="repository:library/debian:pull")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "bearer");
  CHECK(c[0].params.at("realm") == "https://auth.docker.io/token");
  CHECK(c[0].params.at("service") == "registry.docker.io");
  CHECK(c[0].params.at("scope") == "repository:library/debian:pull");
  c = parse_challenges(R"(Basic realm="Registry Realm")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "basic");
  CHECK(c[0].params.at("realm") == "Registry Realm");
  // Two challenges in one header, odd spacing and case, escapes, unquoted values.
  c = parse_challenges(R"(  BASIC  Realm = "a \"b\"" , bearer realm=https://x/t, service = s)");
  REQUIRE(c.size() == 2);
  CHECK(c[0].params.at("realm") == R"(a "b")");
  CHECK(c[1].scheme == "bearer");
  CHECK(c[1].params.at("realm") == "https://x/t");
  CHECK(c[1].params.at("service") == "s");
  c = parse_challenges("Negotiate abc123==, Basic realm=x");
  REQUIRE(c.size() == 2);
  CHECK(c[0].params.at("") == "abc123==");
  CHECK(c[1].scheme == "basic");
  CHECK(parse_challenges("").empty());
  CHECK(parse_challenges(", ,").empty());
  // Unterminated quote: what was read stands, nothing after.
  c = parse_challenges(R"(Bearer realm="https://x)");
  REQUIRE(c.size() == 1);
  CHECK(c[0].params.at("realm") == "https://x");
  CHECK(parse_challenges("=oops").empty());
}

TEST_CASE("base64: round trip, refusals") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("dGVzdGVyOnMzY3JldA==") == "tester:s3cret");
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", std::string("\0\xff\x10", 3)})
    CHECK(base64_decode(base64_encode(s)) == s);
  CHECK_FALSE(base64_decode("abc"));
  CHECK_FALSE(base64_decode("ab=c"));
  CHECK_FALSE(base64_decode("a===")); // too much padding
  CHECK_FALSE(base64_decode("ab c"));
  CHECK_FALSE(base64_decode("Zg==Zg=="));
}

TEST_CASE("credentials: auths entries by host, Docker Hub's aliases") {
  const std::string auth = base64_encode("u:p:w");
  const std::string j = R"({"auths":{"https://index.docker.io/v1/":{"auth":")" + auth +
                        R"("},"127.0.0.1:5000":{"auth":")" + base64_encode("a:b") +
                        R"("},"helper.io":{}}})";
  const auto hub = credentials_from_json(j, "docker.io", "f");
  REQUIRE(hub);
  CHECK(hub->user == "u");
  CHECK(hub->secret == "p:w");
  CHECK(hub->file == "f");
  CHECK(credentials_from_json(j, "127.0.0.1:5000", "f")->user == "a");
  CHECK_FALSE(credentials_from_json(j, "127.0.0.1:5001", "f"));
  CHECK_FALSE(credentials_from_json(j, "helper.io", "f"));
  CHECK_FALSE(credentials_from_json("{}", "docker.io", "f"));
  CHECK_THROWS_AS(credentials_from_json("{", "docker.io", "f"), SysError);
  CHECK_THROWS_AS(credentials_from_json(R"({"auths":{"x":{"auth":"bm9jb2xvbg=="}}})", "x", "f"),
                  SysError); // "nocolon"
}

TEST_CASE("credentials: credHelpers before credsStore") {
  const std::string j =
      R"({"credHelpers":{"gcr.io":"gcloud","https://index.docker.io/v1/":"hub"},"credsStore":"pass"})";
  CHECK(helper_from_json(j, "gcr.io", "f") == "gcloud");
  CHECK(helper_from_json(j, "docker.io", "f") == "hub");
  CHECK(helper_from_json(j, "quay.io", "f") == "pass");
  CHECK_FALSE(helper_from_json(R"({"credHelpers":{"a":""}})", "a", "f"));
  CHECK_FALSE(helper_from_json("{}", "a", "f"));
}

TEST_CASE("credentials: login's edits keep every other entry") {
  const std::string before =
      R"({"auths":{"https://index.docker.io/v1/":{"auth":"eDp5"},"quay.io/ns/repo":{"auth":"eDp5"},)"
      R"("h:1":{"auth":"eDp5"}},"credsStore":"pass"})";
  const std::string after = auth_file_with(before, "docker.io", "me", "pw", "f");
  CHECK(credentials_from_json(after, "docker.io", "f")->user == "me");
  CHECK(after.find("index.docker.io") == std::string::npos); // the old spelling is replaced
  CHECK(after.find("quay.io/ns/repo") != std::string::npos); // a repository's own entry stays
  CHECK(credentials_from_json(after, "h:1", "f")->user == "x");
  CHECK(helper_from_json(after, "a", "f") == "pass");
  CHECK(credentials_from_json(auth_file_with("", "h:2", "u", "p", "f"), "h:2", "f")->secret == "p");
  CHECK_THROWS_AS(auth_file_with("[]", "h:2", "u", "p", "f"), SysError);
  const auto out = auth_file_without(after, "docker.io", "f");
  REQUIRE(out);
  CHECK_FALSE(credentials_from_json(*out, "docker.io", "f"));
  CHECK(credentials_from_json(*out, "h:1", "f")->user == "x");
  CHECK(out->find("quay.io/ns/repo") != std::string::npos);
  CHECK_FALSE(auth_file_without(*out, "docker.io", "f"));
  CHECK_FALSE(auth_file_without("{}", "h:1", "f"));
}

TEST_CASE("http: origins, default ports as written") {
  CHECK(same_origin("https://h.io/service/token", "https://h.io:443/v2/"));
  CHECK(same_origin("https://127.0.0.1:5000/token?x=1", "https://127.0.0.1:5000/v2/"));
  CHECK_FALSE(same_origin("https://auth.h.io/token", "https://h.io/v2/"));
  CHECK_FALSE(same_origin("http://h.io/token", "https://h.io/v2/"));
  CHECK_FALSE(same_origin("https://h.io:5001/", "https://h.io:5000/"));
  CHECK_FALSE(same_origin("not a url", "https://h.io/"));
}

TEST_CASE("login: registries as users name them") {
  CHECK(registry_domain("127.0.0.1:5000") == "127.0.0.1:5000");
  CHECK(registry_domain("https://127.0.0.1:5000/") == "127.0.0.1:5000");
  CHECK(registry_domain("https://index.docker.io/v1/") == "docker.io");
  CHECK(registry_domain("docker.io") == "docker.io");
  CHECK(registry_domain("localhost") == "localhost");
  CHECK(registry_domain("nvcr.io") == "nvcr.io");
  for (const char* bad : {"", "myhost", "https://", "a b.io", "UPPER_.io:x"})
    CHECK_THROWS_AS(registry_domain(bad), SysError);
}

TEST_CASE("progress: the block a terminal shows") {
  auto lines = progress_lines({{"abc", 500000, 1000000, 1.0}}, 1, 3, 1500000, 3000000, 2.0);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "  abc: 0.5/1.0 MB (50%), 0.5 MB/s");
  CHECK(lines[1] == "pulling: 1/3 layers, 1.5/3.0 MB, 0.8 MB/s, 2 s left");
  // Nothing yet, or all of it: no time left to guess.
  lines = progress_lines({}, 0, 2, 0, 100, 0.0);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "pulling: 0/2 layers, 0.0/0.0 MB, 0.0 MB/s");
  CHECK(progress_lines({}, 2, 2, 100, 100, 1.0).back().find("left") == std::string::npos);
  CHECK(progress_lines({{"z", 0, 0, 0.0}}, 0, 1, 0, 0, 0.0)[0] == "  z: 0.0/0.0 MB (0%), 0.0 MB/s");
}

TEST_CASE("pull: platforms and Retry-After") {
  const Platform p = parse_platform("linux/arm64/v8");
  CHECK(p.os == "linux");
  CHECK(p.architecture == "arm64");
  CHECK(p.variant == "v8");
  CHECK(parse_platform("linux/amd64").variant.empty());
  CHECK_FALSE(parse_platform("").architecture.empty());
  for (const char* bad : {"linux", "linux/", "/amd64", "linux/arm/", "linux/arm/v7/x"})
    CHECK_THROWS_AS(parse_platform(bad), SysError);
  CHECK(platform_matches({"linux", "arm64", ""}, parse_platform("linux/arm64/v8")));
  CHECK(platform_matches({"linux", "arm", "v7"}, parse_platform("linux/arm")));
  CHECK_FALSE(platform_matches({"linux", "arm", "v6"}, parse_platform("linux/arm/v7")));
  CHECK_FALSE(platform_matches({"windows", "amd64", ""}, parse_platform("linux/amd64")));
  CHECK(retry_after_seconds("7") == 7);
  CHECK(retry_after_seconds(" 120 ") == 120);
  CHECK_FALSE(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"));
  CHECK_FALSE(retry_after_seconds("-1"));
  CHECK_FALSE(retry_after_seconds(""));
}

TEST_CASE("cli: pull and run --pull") {
  Cli c =
      parse_cli({"pull", "debian:12", "--name", "d", "--platform=linux/arm64", "-j", "8", "-q"});
  CHECK(c.command == Command::pull);
  CHECK(c.pull.reference == "debian:12");
  CHECK(c.pull.name == "d");
  CHECK(c.pull.platform == "linux/arm64");
  CHECK(c.pull.jobs == 8);
  CHECK(c.pull.quiet);
  CHECK(parse_cli({"pull", "x"}).pull.jobs == 4);
  CHECK_THROWS_AS(parse_cli({"pull"}), SysError);
  CHECK_THROWS_AS(parse_cli({"pull", "a", "b"}), SysError);
  CHECK_THROWS_AS(parse_cli({"pull", "a", "--jobs", "0"}), SysError);
  CHECK_THROWS_AS(parse_cli({"pull", "a", "--jobs", "x"}), SysError);
  CHECK_THROWS_AS(parse_cli({"pull", "a", "--bogus"}), SysError);
  CHECK(parse_cli({"run", "img"}).run.pull == PullPolicy::missing);
  CHECK(parse_cli({"run", "--pull=always", "img"}).run.pull == PullPolicy::always);
  CHECK(parse_cli({"run", "--pull", "never", "img"}).run.pull == PullPolicy::never);
  CHECK_THROWS_AS(parse_cli({"run", "--pull=sometimes", "img"}), SysError);
  CHECK(parse_cli({"pull", "--help"}).help_topic == "pull");
  CHECK(usage("pull").find("--platform") != std::string::npos);
}

TEST_CASE("cli: login and logout") {
  Cli c = parse_cli({"login", "h:5000", "-u", "me", "--password-stdin"});
  CHECK(c.command == Command::login);
  CHECK(c.login.registry == "h:5000");
  CHECK(c.login.user == "me");
  CHECK(c.login.password_stdin);
  c = parse_cli({"login", "--username=me", "h:5000"});
  CHECK(c.login.user == "me");
  CHECK_FALSE(c.login.password_stdin);
  CHECK(parse_cli({"logout", "h:5000"}).command == Command::logout);
  CHECK_THROWS_AS(parse_cli({"login"}), SysError);
  CHECK_THROWS_AS(parse_cli({"login", "h", "-p", "secret"}), SysError);
  CHECK_THROWS_AS(parse_cli({"login", "h", "--password=secret"}), SysError);
  CHECK_THROWS_AS(parse_cli({"login", "h", "--password-stdin"}), SysError); // needs -u
  CHECK_THROWS_AS(parse_cli({"login", "a", "b"}), SysError);
  CHECK_THROWS_AS(parse_cli({"logout", "h", "-u", "me"}), SysError);
  CHECK_THROWS_AS(parse_cli({"logout"}), SysError);
  CHECK(parse_cli({"login", "--help"}).help_topic == "login");
}

namespace {

// A one-file tar, gzip-compressed or not, with the same entry bytes either way.
void write_tar(const std::string& path, bool gzip) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip)
    archive_write_add_filter_gzip(a);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "hello");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, 5);
  REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
  REQUIRE(archive_write_data(a, "world", 5) == 5);
  archive_entry_free(e);
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

} // namespace

TEST_CASE("unpack: diff_id of the uncompressed stream, from an fd") {
  const cinit::test::TempDir dir;
  write_tar(dir / "plain.tar", false);
  write_tar(dir / "layer.tar.gz", true);
  const std::string diff_id = sha256_file(dir / "plain.tar");
  const std::string digest = sha256_file(dir / "layer.tar.gz");
  REQUIRE(diff_id != digest);
  ::mkdir((dir / "out").c_str(), 0700);
  const int fd = ::open((dir / "layer.tar.gz").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const UnpackResult r =
      unpack_fd(fd, "layer", dir / "out",
                {.layer = false, .expect_sha256 = digest, .expect_diff_id = diff_id});
  ::close(fd);
  CHECK(r.sha256 == digest);
  CHECK(r.diff_id == diff_id);
  CHECK(sha256_file(dir / "out/hello") == sha256_hex("world"));
  ::mkdir((dir / "out2").c_str(), 0700);
  const std::string wrong(64, 'b');
  CHECK_THROWS_WITH(
      unpack_archive(dir / "layer.tar.gz", dir / "out2",
                     {.layer = false, .expect_sha256 = digest, .expect_diff_id = wrong}),
      Catch::Contains("diff_id is sha256:" + wrong));
  // Without a diff_id to check, none is computed (one hash, as before).
  ::mkdir((dir / "out3").c_str(), 0700);
  CHECK(unpack_archive(dir / "plain.tar", dir / "out3",
                       {.layer = false, .expect_sha256 = diff_id, .expect_diff_id = {}})
            .diff_id.empty());
}
