// The CA bundle finder against fake distribution trees and OpenSSL's variables.
#include "launcher/error.hpp"
#include "launcher/registry/ca_bundle.hpp"
#include "tests/unit/common/temp_dir.hpp"

#include <catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace cinit::launcher;
namespace fs = std::filesystem;

namespace {

void make_file(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << "-----BEGIN CERTIFICATE-----\n";
}

// Unsets SSL_CERT_FILE and SSL_CERT_DIR for one case and puts back what was there.
class CleanEnv {
public:
  CleanEnv() {
    for (int i = 0; i < 2; ++i) {
      if (const char* v = std::getenv(names_[i]))
        saved_[i] = v;
      ::unsetenv(names_[i]);
    }
  }
  ~CleanEnv() {
    for (int i = 0; i < 2; ++i)
      if (saved_[i])
        ::setenv(names_[i], saved_[i]->c_str(), 1);
      else
        ::unsetenv(names_[i]);
  }
  CleanEnv(const CleanEnv&) = delete;
  CleanEnv& operator=(const CleanEnv&) = delete;

private:
  const char* names_[2] = {"SSL_CERT_FILE", "SSL_CERT_DIR"};
  std::optional<std::string> saved_[2];
};

// Sets one variable for one case and puts back what was there, however the case ends.
class SetEnv {
public:
  SetEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* v = std::getenv(name))
      saved_ = v;
    ::setenv(name, value.c_str(), 1);
  }
  ~SetEnv() {
    if (saved_)
      ::setenv(name_, saved_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  SetEnv(const SetEnv&) = delete;
  SetEnv& operator=(const SetEnv&) = delete;

private:
  const char* name_;
  std::optional<std::string> saved_;
};

} // namespace

TEST_CASE("ca_bundle: each family's bundle is found where it keeps it") {
  const CleanEnv env;
  for (const char* path :
       {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/ca-bundle.pem",
        "/var/lib/ca-certificates/ca-bundle.pem", "/etc/ssl/cert.pem"}) {
    const cinit::test::TempDir root;
    make_file(root.path() + path);
    const auto trust = find_ca_trust(root.path());
    REQUIRE(trust);
    CHECK(trust->file == root.path() + path);
    CHECK(trust->dir.empty());
  }
}

TEST_CASE("ca_bundle: the first place wins; a directory or a dangling link is no bundle") {
  const CleanEnv env;
  const cinit::test::TempDir root;
  fs::create_directories(root / "etc/ssl/certs/ca-certificates.crt"); // a directory
  fs::create_directories(root / "etc/pki/tls/certs");
  fs::create_symlink("/nonexistent/tls-ca-bundle.pem", root / "etc/pki/tls/certs/ca-bundle.crt");
  make_file(root / "etc/ssl/ca-bundle.pem");
  make_file(root / "etc/ssl/cert.pem");
  const auto trust = find_ca_trust(root.path());
  REQUIRE(trust);
  CHECK(trust->file == root / "etc/ssl/ca-bundle.pem");
}

TEST_CASE("ca_bundle: nothing anywhere is nullopt") {
  const CleanEnv env;
  const cinit::test::TempDir root;
  CHECK_FALSE(find_ca_trust(root.path()));
}

TEST_CASE("ca_bundle: SSL_CERT_FILE and SSL_CERT_DIR win, and must exist") {
  const CleanEnv env;
  const cinit::test::TempDir root;
  make_file(root / "etc/ssl/certs/ca-certificates.crt");
  make_file(root / "site/ca.pem");
  fs::create_directories(root / "site/certs");

  ::setenv("SSL_CERT_DIR", (root / "site/certs").c_str(), 1);
  auto trust = find_ca_trust(root.path());
  REQUIRE(trust);
  CHECK(trust->file == root / "etc/ssl/certs/ca-certificates.crt"); // the system's as well
  CHECK(trust->dir == root / "site/certs");

  ::setenv("SSL_CERT_FILE", (root / "site/ca.pem").c_str(), 1);
  trust = find_ca_trust(root.path());
  REQUIRE(trust);
  CHECK(trust->file == root / "site/ca.pem");

  ::setenv("SSL_CERT_FILE", (root / "site/missing.pem").c_str(), 1);
  try {
    (void)find_ca_trust(root.path());
    FAIL("a missing SSL_CERT_FILE was accepted");
  } catch (const SysError& e) {
    CHECK(std::string(e.what()) == "unable to use SSL_CERT_FILE '" + root / "site/missing.pem" +
                                       "': No such file or directory");
  }
  ::setenv("SSL_CERT_FILE", (root / "site/ca.pem").c_str(), 1);
  ::setenv("SSL_CERT_DIR", (root / "site/ca.pem").c_str(), 1); // a file
  CHECK_THROWS_AS(find_ca_trust(root.path()), SysError);
}

TEST_CASE("ca_bundle: a client certificate is NAME.cert with its NAME.key") {
  const cinit::test::TempDir root;
  const SetEnv env("XDG_CONFIG_HOME", root.path());
  const std::string dir = root / "containers/certs.d/unit.test:1";
  fs::create_directories(dir);
  CHECK_FALSE(client_cert("unit.test:1"));
  std::ofstream(dir + "/ca.crt") << "CA";
  CHECK_FALSE(client_cert("unit.test:1")); // a CA is no client certificate
  std::ofstream(dir + "/b.cert") << "B";
  std::ofstream(dir + "/b.key") << "BK";
  std::ofstream(dir + "/a.cert") << "A";
  CHECK_THROWS_AS(client_cert("unit.test:1"), SysError); // a.cert has no a.key
  std::ofstream(dir + "/a.key") << "AK";
  auto c = client_cert("unit.test:1");
  REQUIRE(c);
  CHECK(c->cert_pem == "A"); // the first in name order
  CHECK(c->key_pem == "AK");
  std::ofstream(dir + "/z.key") << "ZK";
  try {
    (void)client_cert("unit.test:1");
    FAIL("a key without its certificate was accepted");
  } catch (const SysError& e) {
    CHECK(std::string(e.what()) ==
          "unable to use the client key '" + dir + "/z.key': no 'z.cert' beside it");
  }
}
