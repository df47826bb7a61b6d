#include "launcher/registry/registry.hpp"

#include "launcher/error.hpp"
#include "launcher/image/sha256.hpp"
#include "launcher/registry/base64.hpp"
#include "launcher/registry/ca_bundle.hpp"
#include "launcher/registry/challenge.hpp"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <thread>

namespace cinit::launcher {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Attempts for one request that makes no progress (a stream that moves bytes starts over).
constexpr int max_attempts = 5;
constexpr int max_resumes = 20;      // of one blob stream, each after some progress
constexpr long max_retry_after = 60; // seconds: a longer wait is the registry's refusal
constexpr std::size_t max_token_body = 1 << 20;

// Worth another try: a dropped connection, a timeout, a registry that is busy or restarting.
bool transient(const HttpResponse& r) {
  if (!r.error.empty())
    return !r.tls_error && !r.too_large && !r.sink_stopped;
  return r.status == 429 || r.status == 500 || r.status == 502 || r.status == 503 ||
         r.status == 504;
}

// The wait before attempt `attempt` (1-based): Retry-After when the registry says, else
// 0.5 s, 1 s, 2 s, ... up to 8 s.
std::chrono::milliseconds backoff(const HttpResponse& r, int attempt) {
  if (r.status == 429 || r.status == 503)
    if (const auto it = r.headers.find("retry-after"); it != r.headers.end())
      if (const auto s = retry_after_seconds(it->second))
        return std::chrono::seconds(std::min(*s, max_retry_after));
  return std::chrono::milliseconds(std::min(500L << (attempt - 1), 8000L));
}

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
  return out;
}

// "404 MANIFEST_UNKNOWN: manifest unknown" from a registry's error body, else "HTTP 404".
std::string describe(const HttpResponse& r) {
  std::string s = "HTTP " + std::to_string(r.status);
  const json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    const json& e = j["errors"][0];
    if (e.is_object() && e.contains("code") && e["code"].is_string())
      s += " " + e["code"].get<std::string>();
    if (e.is_object() && e.contains("message") && e["message"].is_string())
      s += ": " + e["message"].get<std::string>();
  }
  for (char& c : s)
    if (c == '\n' || c == '\r')
      c = ' '; // one line
  return s;
}

} // namespace

std::optional<long> retry_after_seconds(std::string_view v) {
  while (!v.empty() && v.front() == ' ')
    v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ')
    v.remove_suffix(1);
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::stol(std::string(v));
}

Registry::Registry(Reference ref, std::optional<Credentials> creds, std::string ca_pem,
                   std::optional<ClientCert> client)
    : ref_(std::move(ref)), creds_(std::move(creds)), ca_pem_(std::move(ca_pem)),
      client_(std::move(client)) {}

std::string Registry::api_url() const {
  const std::string host = ref_.api_host();
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "https://" + h + ":" + std::to_string(ref_.api_port()) + "/v2/";
}

std::string Registry::url(const std::string& path) const {
  return api_url() + ref_.repository + path;
}

[[noreturn]] void Registry::fail(const HttpResponse& r, const std::string& what) const {
  const std::string where = ref_.api_host() + ":" + std::to_string(ref_.api_port());
  const std::string dir = ca_dirs(ref_.domain).front();
  if (r.tls_refused)
    throw SysError("unable to " + what + ": '" + where + "' refused this client's TLS: " + r.error +
                   " (a client certificate for it goes in '" + dir +
                   "/client.cert' with its key in 'client.key')");
  if (r.tls_error)
    throw SysError("unable to " + what + ": TLS with '" + where + "' failed: " + r.error +
                   " (a private registry's CA goes in '" + dir + "/ca.crt')");
  if (r.too_large)
    throw SysError("unable to " + what + ": the registry's answer is over the size limit");
  if (!r.error.empty())
    throw SysError("unable to " + what + ": " + r.error);
  std::string why = describe(r);
  if (r.status == 401 && creds_ && creds_->file.empty())
    why += " (the user name and password for '" + ref_.domain + "' were refused)";
  else if (r.status == 401)
    why += creds_ ? " (the credentials for '" + ref_.domain + "' in '" + creds_->file +
                        "' were refused)"
                  : " (no credentials for '" + ref_.domain +
                        "' in ~/.docker/config.json, auth.json or $REGISTRY_AUTH_FILE)";
  else if (r.status == 403)
    why += " (access denied)";
  else if (r.status == 404)
    why += " (no such repository, tag or blob)";
  throw SysError("unable to " + what + ": " + why);
}

std::string Registry::authorization(HttpClient& http) {
  const std::lock_guard<std::mutex> lock(mu_);
  // A token about to expire is renewed before it is used, not after a 401.
  if (bearer_ && Clock::now() >= expires_)
    fetch_token(http, realm_, service_);
  return auth_header_;
}

void Registry::fetch_token(HttpClient& http, const std::string& realm, const std::string& service) {
  std::string u = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  if (!service.empty())
    u += "service=" + percent_encode(service) + "&";
  // No repository (login's check of /v2/): a token for no scope, as `docker login` asks.
  if (!ref_.repository.empty())
    u += "scope=" + percent_encode("repository:" + ref_.repository + ":pull");
  if (u.back() == '&' || u.back() == '?')
    u.pop_back();
  HttpRequest req;
  req.url = u;
  req.max_body = max_token_body;
  if (creds_)
    req.authorization = "Basic " + base64_encode(creds_->user + ":" + creds_->secret);
  // A token service on the registry's own origin (Harbor's /service/token) is the registry,
  // and may ask for the same client certificate; another host never gets it.
  if (client_ && same_origin(realm, api_url()))
    req.client_cert = &*client_;
  const std::string what = "get a token from '" + realm + "'";
  // Not through request(): this runs under the auth lock, and the realm is not the registry.
  const HttpResponse r = with_retries(http, req, what, false);
  if (!r.error.empty() || r.status != 200)
    fail(r, what);
  const json j = json::parse(r.body, nullptr, false);
  std::string token;
  long expires_in = 60; // the token spec's default
  if (j.is_object()) {
    for (const char* key : {"token", "access_token"})
      if (j.contains(key) && j[key].is_string() && token.empty())
        token = j[key].get<std::string>();
    // Taken as the server says, even under the spec's 60 s minimum (docker raises it to 60):
    // a token it will refuse sooner would otherwise cost a 401 and a retry on every request.
    if (j.contains("expires_in") && j["expires_in"].is_number_integer() &&
        j["expires_in"].get<long>() > 0)
      expires_in = std::min(j["expires_in"].get<long>(), 24L * 3600);
  }
  if (token.empty())
    throw SysError("unable to " + what + ": the answer holds no token");
  auth_header_ = "Bearer " + token;
  bearer_ = true;
  realm_ = realm;
  service_ = service;
  // Renewed early, by a quarter of its life up to 10 s: a request must not start with a
  // token that dies on the way.
  const std::chrono::milliseconds life(expires_in * 1000);
  expires_ = Clock::now() + life - std::min(life / 4, std::chrono::milliseconds(10000));
}

void Registry::on_unauthorized(HttpClient& http, const HttpResponse& resp, const std::string& sent,
                               const std::string& what) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (auth_header_ != sent)
    return; // another thread renewed it meanwhile
  const auto it = resp.headers.find("www-authenticate");
  const auto challenges =
      parse_challenges(it == resp.headers.end() ? std::string_view{} : it->second);
  for (const auto& ch : challenges)
    if (ch.scheme == "bearer" && ch.params.contains("realm")) {
      const auto service = ch.params.find("service");
      fetch_token(http, ch.params.at("realm"),
                  service == ch.params.end() ? std::string() : service->second);
      return;
    }
  for (const auto& ch : challenges)
    if (ch.scheme == "basic" && creds_ && !sent.starts_with("Basic ")) {
      auth_header_ = "Basic " + base64_encode(creds_->user + ":" + creds_->secret);
      return;
    }
  fail(resp, what); // no way in: say why
}

HttpResponse Registry::request(HttpClient& http, HttpRequest req, const std::string& what) {
  // Round 0: as we stand (anonymous at first); then up to two answers to a challenge (a
  // Basic registry; a token that expired on the way).
  req.client_cert = client_ ? &*client_ : nullptr;
  for (int round = 0;; ++round) {
    req.authorization = authorization(http);
    HttpResponse r = http.get(req);
    if (r.status != 401)
      return r;
    if (round == 2)
      fail(r, what);
    on_unauthorized(http, r, req.authorization, what);
  }
}

HttpResponse Registry::with_retries(HttpClient& http, const HttpRequest& req,
                                    const std::string& what, bool authenticated) {
  for (int attempt = 1;; ++attempt) {
    HttpResponse r = authenticated ? request(http, req, what) : http.get(req);
    if (!transient(r) || attempt == max_attempts)
      return r;
    std::this_thread::sleep_for(backoff(r, attempt));
  }
}

void Registry::check_login(HttpClient& http) {
  HttpRequest req;
  req.url = api_url();
  const std::string what = "log in to '" + ref_.domain + "'";
  const HttpResponse r = with_retries(http, req, what, true);
  if (!r.error.empty() || r.status != 200)
    fail(r, what);
}

ManifestResponse Registry::manifest(HttpClient& http, const std::string& ref, std::size_t limit) {
  HttpRequest req;
  req.url = url("/manifests/" + ref);
  req.max_body = limit;
  req.headers = {"Accept: application/vnd.oci.image.index.v1+json, "
                 "application/vnd.docker.distribution.manifest.list.v2+json, "
                 "application/vnd.oci.image.manifest.v1+json, "
                 "application/vnd.docker.distribution.manifest.v2+json"};
  const std::string what = "fetch the manifest of '" + ref_.repository + ":" + ref + "'";
  const HttpResponse r = with_retries(http, req, what, true);
  if (!r.error.empty() || r.status != 200)
    fail(r, what);
  ManifestResponse m;
  m.body = r.body;
  if (const auto it = r.headers.find("content-type"); it != r.headers.end())
    m.content_type = it->second.substr(0, it->second.find(';'));
  if (const auto it = r.headers.find("docker-content-digest"); it != r.headers.end())
    m.digest = it->second;
  return m;
}

std::string Registry::small_blob(HttpClient& http, const Descriptor& d, std::size_t limit) {
  const std::string what = "fetch blob sha256:" + d.digest;
  if (d.size < 0 || static_cast<std::uint64_t>(d.size) > limit)
    throw SysError("unable to " + what + ": its size (" + std::to_string(d.size) +
                   " bytes) is over the limit of " + std::to_string(limit));
  HttpRequest req;
  req.url = url("/blobs/sha256:" + d.digest);
  req.max_body = limit;
  const HttpResponse r = with_retries(http, req, what, true);
  if (!r.error.empty() || r.status != 200)
    fail(r, what);
  if (r.body.size() != static_cast<std::size_t>(d.size))
    throw SysError("unable to " + what + ": " + std::to_string(r.body.size()) +
                   " bytes, its descriptor says " + std::to_string(d.size));
  if (const std::string got = sha256_hex(r.body); got != d.digest)
    throw SysError("unable to " + what + ": its content's digest is sha256:" + got);
  return r.body;
}

void Registry::stream_blob(HttpClient& http, const Descriptor& d,
                           const std::function<bool(std::string_view)>& sink) {
  const std::string what = "fetch blob sha256:" + d.digest;
  std::int64_t done = 0; // bytes passed on
  int resumes = 0;
  bool too_big = false;
  HttpRequest req;
  req.url = url("/blobs/sha256:" + d.digest);
  for (int attempt = 1;; ++attempt) {
    const std::int64_t start = done;
    std::int64_t skip = 0; // bytes of a 200 answer to a Range request we have already
    req.range_from = start;
    req.sink = [&](long status, std::string_view chunk) {
      if (status == 200 && start > 0 && skip < start) {
        const auto n =
            std::min<std::int64_t>(start - skip, static_cast<std::int64_t>(chunk.size()));
        skip += n;
        chunk.remove_prefix(static_cast<std::size_t>(n));
      }
      if (d.size >= 0 && done + static_cast<std::int64_t>(chunk.size()) > d.size) {
        too_big = true;
        return false;
      }
      done += static_cast<std::int64_t>(chunk.size());
      return chunk.empty() || sink(chunk);
    };
    const HttpResponse r = request(http, req, what);
    if (too_big)
      throw SysError("unable to " + what + ": more bytes than the " + std::to_string(d.size) +
                     " its descriptor says");
    if (r.sink_stopped)
      throw BlobSinkClosed{};
    if (r.status == 416 ||
        (r.error.empty() && (r.status == 200 || r.status == 206) && done < d.size && done == start))
      throw SysError("unable to " + what + ": truncated blob, " + std::to_string(done) + " of " +
                     std::to_string(d.size) + " bytes");
    const bool whole = r.error.empty() && (r.status == 200 || r.status == 206);
    if (whole && (d.size < 0 || done == d.size))
      return;
    const bool progress = done > start;
    // A connection that moved bytes and then dropped: resume, and count anew (up to a
    // point: a link that drops every few bytes is not worth waiting for).
    if (progress && ++resumes > max_resumes)
      fail(r, what + " (dropped " + std::to_string(max_resumes) + " times)");
    if (progress)
      attempt = 1;
    if (!whole && !transient(r))
      fail(r, what);
    if (attempt >= max_attempts)
      fail(r, what);
    if (!progress)
      std::this_thread::sleep_for(backoff(r, attempt));
  }
}

} // namespace cinit::launcher
