#include "launcher/registry/http.hpp"

#include "common/ascii.hpp"
#include "launcher/error.hpp"
#include "launcher/getent.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <curl/curl.h>
#include <mutex>
#include <netdb.h>
#include <openssl/ssl.h>
#include <optional>

namespace cinit::launcher {
namespace {

constexpr int max_redirects = 10;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

void append(Slist& list, const std::string& s) {
  curl_slist* l = curl_slist_append(list.get(), s.c_str());
  if (l == nullptr)
    throw SysError("unable to allocate a curl list", {}, ENOMEM);
  (void)list.release(); // now owned through `l`
  list.reset(l);
}

struct UrlParts {
  std::string scheme;
  std::string host; // without IPv6 brackets
  int port = 0;
  std::string origin() const { return scheme + "://" + host + ":" + std::to_string(port); }
};

std::string url_part(CURLU* u, CURLUPart part, unsigned flags) {
  char* s = nullptr;
  if (curl_url_get(u, part, &s, flags) != CURLUE_OK || s == nullptr)
    return {};
  std::string out = s;
  curl_free(s);
  return out;
}

std::optional<UrlParts> parse_url(const std::string& url, unsigned flags = 0) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), flags) != CURLUE_OK)
    return std::nullopt;
  UrlParts p;
  p.scheme = url_part(u.get(), CURLUPART_SCHEME, 0);
  p.host = url_part(u.get(), CURLUPART_HOST, 0);
  const std::string port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (p.host.empty() || port.empty())
    return std::nullopt;
  if (p.host.front() == '[')
    p.host = p.host.substr(1, p.host.size() - 2);
  p.port = std::atoi(port.c_str());
  return p;
}

bool numeric_host(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The proxy curl will use for `scheme` (it reads the same variables): its host must be
// resolved by us too. NO_PROXY is left to curl: resolving a proxy that is then not used
// costs one lookup.
std::optional<UrlParts> proxy_for(const std::string& scheme) {
  const std::string lower = scheme + "_proxy";
  std::string upper = lower;
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& name :
       {lower, upper, std::string("all_proxy"), std::string("ALL_PROXY")}) {
    // curl ignores HTTP_PROXY in upper case (CGI's "httpoxy"); so do we.
    if (name == "HTTP_PROXY")
      continue;
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0')
      continue;
    std::string url = v;
    if (url.find("://") == std::string::npos)
      url = "http://" + url;
    auto p = parse_url(url, CURLU_NON_SUPPORT_SCHEME);
    if (p && url.find(':', url.find("://") + 3) == std::string::npos)
      p->port = 1080; // curl's default proxy port
    return p;
  }
  return std::nullopt;
}

// Adds "host:port:addr,addr" for curl, resolved once per client.
void add_resolve(Slist& list, std::map<std::string, std::string>& cache, const UrlParts& p) {
  if (numeric_host(p.host))
    return;
  const std::string key = p.host + ":" + std::to_string(p.port);
  if (const auto it = cache.find(key); it != cache.end()) {
    append(list, it->second);
    return;
  }
  std::string entry = key + ":";
  bool first = true;
  for (const auto& a : resolve_host(p.host, p.port)) {
    if (!first)
      entry += ",";
    first = false;
    entry += a; // IPv6 addresses come in brackets already
  }
  cache[key] = entry;
  append(list, entry);
}

struct Transfer {
  const HttpRequest* req = nullptr;
  HttpResponse* resp = nullptr;
  long status = 0;
  bool deliver = false; // this response's body goes to the sink
};

std::size_t header_callback(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new response (after a 100 Continue or a proxy's CONNECT): forget the last one's.
    t->resp->headers.clear();
    const std::size_t sp = line.find(' ');
    t->status =
        sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    t->deliver = t->req->sink && t->status >= 200 && t->status < 300;
    return size * n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos)
    return size * n;
  const std::string name = ascii_lower(line.substr(0, colon));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  t->resp->headers[name] = std::string(value);
  return size * n;
}

std::size_t write_callback(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view chunk(data, size * n);
  if (t->deliver) {
    if (!t->req->sink(t->status, chunk)) {
      t->resp->sink_stopped = true;
      return 0;
    }
    return chunk.size();
  }
  if (t->status >= 300 && t->status < 400)
    return chunk.size(); // a redirect's body: nobody reads it
  if (t->resp->body.size() + chunk.size() > t->req->max_body) {
    t->resp->too_large = true;
    return 0;
  }
  t->resp->body.append(chunk);
  return chunk.size();
}

// Certificate and handshake failures: retrying cannot help, and the user must act.
bool is_tls_error(CURLcode c) {
  for (const CURLcode t :
       {CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM,
        CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
        CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS})
    if (c == t)
      return true;
  return false;
}

template <typename T> void setopt(CURL* c, CURLoption opt, T value) {
  if (curl_easy_setopt(c, opt, value) != CURLE_OK)
    throw SysError("unable to set a curl option (" + std::to_string(static_cast<int>(opt)) + ")");
}

} // namespace

std::vector<std::string> resolve_host(const std::string& host, int /*port*/) {
  // The host's own resolver, through its getent: a static glibc's getaddrinfo would load the
  // host's NSS modules, built for another glibc. getent runs through common/spawn, whose
  // child stack is one: one lookup at a time.
  static std::mutex one_at_a_time;
  std::vector<std::string> out;
  {
    const std::lock_guard<std::mutex> lock(one_at_a_time);
    out = getent_addresses(host);
  }
  if (out.empty())
    throw SysError("unable to resolve host '" + host + "': unknown to the host's resolver");
  return out;
}

bool same_origin(const std::string& a, const std::string& b) {
  const auto pa = parse_url(a);
  const auto pb = parse_url(b);
  return pa && pb && pa->origin() == pb->origin();
}

void http_global_init() {
  // OpenSSL must not read the host's openssl.cnf: it may name engines or providers built for
  // the host's libcrypto, which the static launcher cannot load.
  if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) != 1)
    throw SysError("unable to initialise OpenSSL");
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    throw SysError("unable to initialise libcurl");
}

struct HttpClient::Impl {
  CURL* curl = nullptr;
  std::string ca_pem;
  std::map<std::string, std::string> resolved; // "host:port" -> curl's RESOLVE entry
};

HttpClient::HttpClient(std::string ca_pem) : impl_(std::make_unique<Impl>()) {
  impl_->curl = curl_easy_init();
  if (impl_->curl == nullptr)
    throw SysError("unable to initialise a curl handle");
  impl_->ca_pem = std::move(ca_pem);
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(impl_->curl);
}

HttpResponse HttpClient::get(const HttpRequest& req) {
  CURL* c = impl_->curl;
  HttpResponse resp;
  const auto first = parse_url(req.url);
  if (!first)
    throw SysError("unable to parse URL '" + req.url + "'");
  std::string url = req.url;
  for (int hop = 0;; ++hop) {
    const auto parts = parse_url(url);
    if (!parts || (parts->scheme != "https" && parts->scheme != "http"))
      throw SysError("unable to follow a redirect to '" + url + "': not an http(s) URL");
    curl_easy_reset(c); // options only: connections and the DNS cache stay
    Slist resolve;
    add_resolve(resolve, impl_->resolved, *parts);
    if (const auto proxy = proxy_for(parts->scheme))
      add_resolve(resolve, impl_->resolved, *proxy);
    Slist headers;
    for (const auto& h : req.headers)
      append(headers, h);
    // Credentials go to the origin they were meant for, never across a redirect.
    const bool first_origin = parts->origin() == first->origin();
    if (!req.authorization.empty() && first_origin)
      append(headers, "Authorization: " + req.authorization);
    Transfer t{&req, &resp, 0, false};
    resp.headers.clear();
    resp.body.clear();
    curl_blob ca{impl_->ca_pem.data(), impl_->ca_pem.size(), CURL_BLOB_NOCOPY};
    setopt(c, CURLOPT_URL, url.c_str());
    setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
    setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    setopt(c, CURLOPT_NOSIGNAL, 1L); // threads: no SIGALRM-based DNS timeouts
    setopt(c, CURLOPT_CAINFO_BLOB, &ca);
    // Only what ca_bundle() found: not the build host's (Debian's) built-in paths.
    setopt(c, CURLOPT_CAINFO, static_cast<const char*>(nullptr));
    setopt(c, CURLOPT_CAPATH, static_cast<const char*>(nullptr));
    curl_blob cert{};
    curl_blob key{};
    if (req.client_cert != nullptr && first_origin) {
      // Copied by curl: it may keep them with a connection it reuses later.
      cert = {const_cast<char*>(req.client_cert->cert_pem.data()), req.client_cert->cert_pem.size(),
              CURL_BLOB_COPY};
      key = {const_cast<char*>(req.client_cert->key_pem.data()), req.client_cert->key_pem.size(),
             CURL_BLOB_COPY};
      setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
      setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
      setopt(c, CURLOPT_SSLKEY_BLOB, &key);
      setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    }
    setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    // A stalled transfer (under 1 KiB/s for 30 s) fails, and the caller resumes it.
    setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    setopt(c, CURLOPT_USERAGENT, "cinit-launcher");
    if (resolve)
      setopt(c, CURLOPT_RESOLVE, resolve.get());
    if (headers)
      setopt(c, CURLOPT_HTTPHEADER, headers.get());
    const std::string range = std::to_string(req.range_from) + "-";
    if (req.range_from > 0)
      setopt(c, CURLOPT_RANGE, range.c_str());
    setopt(c, CURLOPT_HEADERFUNCTION, header_callback);
    setopt(c, CURLOPT_HEADERDATA, &t);
    setopt(c, CURLOPT_WRITEFUNCTION, write_callback);
    setopt(c, CURLOPT_WRITEDATA, &t);
    char errbuf[CURL_ERROR_SIZE] = {};
    setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    const CURLcode rc = curl_easy_perform(c);
    resp.url = url;
    long status = 0;
    (void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status); // 0 when none came
    resp.status = status;
    if (rc != CURLE_OK) {
      resp.error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
      // A TLS alert from the server (OpenSSL's "... alert bad certificate", "... alert
      // certificate required") comes during the handshake or, in TLS 1.3, on the first read.
      resp.tls_refused =
          (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR) &&
          resp.error.find("SSL routines") != std::string::npos &&
          resp.error.find(" alert ") != std::string::npos;
      resp.tls_error = is_tls_error(rc) || resp.tls_refused;
      return resp;
    }
    char* location = nullptr;
    if (status >= 300 && status < 400 &&
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
      if (hop >= max_redirects)
        throw SysError("unable to fetch '" + req.url + "': more than 10 redirects");
      url = location;
      continue;
    }
    return resp;
  }
}

} // namespace cinit::launcher
