// One HTTP(S) client over libcurl, as the registry code needs it: host names resolved by our
// own resolve_host() and handed to curl (CURLOPT_RESOLVE), so curl never resolves one itself;
// redirects followed here, with the Authorization header and a client certificate for the
// first origin only (a CDN or a pre-signed URL must never see a registry token, nor learn who
// asks); https and http only.
// Not thread-safe: one HttpClient per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cinit::launcher {

// The one place where a host name becomes addresses ("1.2.3.4", "::1"). Throws SysError
// ("unable to resolve host 'NAME'") when it has none.
std::vector<std::string> resolve_host(const std::string& host, int port);

// A TLS client certificate and its private key, PEM (mutual TLS).
struct ClientCert {
  std::string cert_pem;
  std::string key_pem;
};

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;        // "Name: value", sent to every host
  std::string authorization;               // the Authorization value, for the first origin only
  const ClientCert* client_cert = nullptr; // presented to the first origin only
  std::int64_t range_from = 0;             // > 0: ask for the bytes from here on (HTTP Range)
  std::size_t max_body = 1 << 20;          // a buffered body longer than this is refused
  // Receives a 2xx body as it arrives, with the status (200 or 206); returning false stops
  // the transfer. Without a sink, the body is buffered in HttpResponse::body.
  std::function<bool(long status, std::string_view chunk)> sink;
};

struct HttpResponse {
  long status = 0;                            // 0: no response (see error)
  std::map<std::string, std::string> headers; // the final response's, names lower-case
  std::string body;                           // buffered body (error bodies too, truncated)
  std::string url;                            // after redirects
  // Transport failure (curl's message); empty when a whole response came.
  std::string error;
  bool tls_error = false;    // certificate or handshake: retrying cannot help
  bool tls_refused = false;  // of those, the server's alert: it refused us (a client cert?)
  bool sink_stopped = false; // the sink returned false
  bool too_large = false;    // a buffered body went over max_body
};

class HttpClient {
public:
  // `ca_pem`: every CA to trust (see ca_bundle()).
  explicit HttpClient(std::string ca_pem);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET, following up to 10 redirects. Throws SysError only for what no retry can fix
  // (a malformed URL, an unresolvable host, curl itself failing); everything else is in
  // the response.
  HttpResponse get(const HttpRequest& req);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether two http(s) URLs name the same origin: scheme, host and port (a default port
// counts as written). False when either cannot be parsed.
bool same_origin(const std::string& a, const std::string& b);

// curl_global_init: once, before any thread makes an HttpClient.
void http_global_init();

} // namespace cinit::launcher
