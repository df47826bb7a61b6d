// A registry's API v2 for one repository, as a puller needs it: auth (anonymous, Basic, or
// Bearer tokens from the WWW-Authenticate challenge, renewed when they expire), manifests
// and small blobs buffered and verified, layer blobs streamed and resumed with Range after a
// dropped connection, with bounded retries that honour 429 Retry-After.
// Thread-safe: each thread brings its own HttpClient; the auth state is shared.
#pragma once

#include "launcher/image/oci.hpp"
#include "launcher/registry/credentials.hpp"
#include "launcher/registry/http.hpp"
#include "launcher/registry/reference.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace cinit::launcher {

struct ManifestResponse {
  std::string body;
  std::string content_type; // the Content-Type header
  std::string digest;       // Docker-Content-Digest, if sent
};

class Registry {
public:
  // `client`: a certificate to present to the registry (and to a token realm on its origin;
  // never to another host, a CDN a redirect leads to).
  Registry(Reference ref, std::optional<Credentials> creds, std::string ca_pem,
           std::optional<ClientCert> client = std::nullopt);
  const std::string& ca_pem() const { return ca_pem_; }
  const Reference& reference() const { return ref_; }

  // GET /v2/ with the credentials, through the same challenge and token code as a pull (a
  // token for no repository): returns when the registry lets them in (or asks for none),
  // throws SysError otherwise. `launcher login`'s check.
  void check_login(HttpClient& http);
  // GET /v2/REPO/manifests/REF (a tag or "sha256:..."), at most `limit` bytes.
  ManifestResponse manifest(HttpClient& http, const std::string& ref, std::size_t limit);
  // A blob of at most `limit` bytes, verified by digest and size.
  std::string small_blob(HttpClient& http, const Descriptor& d, std::size_t limit);
  // Streams a blob into `sink`, each byte once, in order, across resumed connections; checks
  // its size (the digest is the consumer's to check: it sees every byte). A sink that
  // returns false stops the transfer: BlobSinkClosed is thrown.
  void stream_blob(HttpClient& http, const Descriptor& d,
                   const std::function<bool(std::string_view)>& sink);

private:
  HttpResponse request(HttpClient& http, HttpRequest req, const std::string& what);
  // `authenticated`: through request() (registry URLs); otherwise as is (the token realm).
  HttpResponse with_retries(HttpClient& http, const HttpRequest& req, const std::string& what,
                            bool authenticated);
  std::string authorization(HttpClient& http);
  void on_unauthorized(HttpClient& http, const HttpResponse& resp, const std::string& sent,
                       const std::string& what);
  void fetch_token(HttpClient& http, const std::string& realm, const std::string& service);
  [[noreturn]] void fail(const HttpResponse& resp, const std::string& what) const;
  std::string url(const std::string& path) const; // under /v2/REPO
  std::string api_url() const;                    // https://HOST:PORT/v2/

  Reference ref_;
  std::optional<Credentials> creds_;
  std::string ca_pem_;
  std::optional<ClientCert> client_;
  std::mutex mu_; // guards the auth state below
  std::string auth_header_;
  bool bearer_ = false;
  std::string realm_;
  std::string service_;
  std::chrono::steady_clock::time_point expires_{};
};

// Thrown by stream_blob when the sink refused more bytes (its own error says why).
struct BlobSinkClosed {};

// Retry-After as seconds (the HTTP-date form is not used by registries): nullopt if absent
// or not a number. Public for the unit test.
std::optional<long> retry_after_seconds(std::string_view value);

} // namespace cinit::launcher
