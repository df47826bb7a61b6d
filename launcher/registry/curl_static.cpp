// Linked into the static launcher with libcurl ($(LAUNCHER_CURL_OBJ), $(LAUNCHER_CURL_LIBS)):
// stand-ins for what Debian's libcurl.a would otherwise reach. glibc's name-service calls
// (a static glibc loads the host's NSS modules, of another glibc version) are --wrap'ed here.
// GSS-API (no static archive in Debian), LDAP and RTMP (which drag in SASL and GnuTLS) go to
// curl_left_out() by --defsym: curl calls them only for protocols and auth schemes that the
// registry client never enables (CURLOPT_PROTOCOLS_STR "https,http", no Negotiate in
// CURLOPT_HTTPAUTH). IDN and PSL answer as a libcurl built without them would. Kept out of
// the unit tests, where the libidn2/libpsl names here would shadow the real libraries.
#include <cerrno>
#include <idn2.h>
#include <libpsl.h>
#include <netdb.h>
#include <pwd.h>
#include <unistd.h>

extern "C" {

// --defsym target for the GSS-API, LDAP and RTMP functions: reaching one is a bug in how the
// launcher sets curl up, so it says so and stops (125: the launcher's own failure).
[[noreturn]] void curl_left_out();
void curl_left_out() {
  constexpr char msg[] = "launcher: fatal: libcurl reached GSS-API, LDAP or RTMP, which the "
                         "static launcher leaves out\n";
  const ssize_t n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)n; // nothing else to do if stderr is gone
  ::_exit(125);
}

// Read by the Negotiate code before its first gss_* call; never reached (see above).
void* GSS_C_NT_HOSTBASED_SERVICE = nullptr;

// The Makefile links with --wrap for each of these: libcurl's and OpenSSL's references go to
// __wrap_NAME below, glibc's own NAME is never linked, and the launcher's code calls none.
//
// Names are resolved by the host's getent (launcher/getent.hpp) and handed to curl with
// CURLOPT_RESOLVE, so curl's resolver thread never runs; if it did, it fails here cleanly
// ("Could not resolve host") instead of loading the host's NSS modules.
int __wrap_getaddrinfo(const char*, const char*, const addrinfo*, addrinfo** res);
int __wrap_getaddrinfo(const char*, const char*, const addrinfo*, addrinfo** res) {
  *res = nullptr;
  return EAI_FAIL;
}
void __wrap_freeaddrinfo(addrinfo*);
void __wrap_freeaddrinfo(addrinfo*) {}
// OpenSSL's BIO_ADDR_hostname_string and BIO_gethostbyname; curl uses neither.
int __wrap_getnameinfo(const sockaddr*, socklen_t, char*, socklen_t, char*, socklen_t, int);
int __wrap_getnameinfo(const sockaddr*, socklen_t, char*, socklen_t, char*, socklen_t, int) {
  return EAI_FAIL;
}
hostent* __wrap_gethostbyname(const char*);
hostent* __wrap_gethostbyname(const char*) {
  h_errno = NO_RECOVERY;
  return nullptr;
}

// curl's .netrc lookup (CURLOPT_NETRC, off by default) and NTLM-winbind auth (not enabled)
// ask for the home directory: "no such user", so curl uses $HOME.
int __wrap_getpwuid_r(uid_t, passwd*, char*, size_t, passwd** result);
int __wrap_getpwuid_r(uid_t, passwd*, char*, size_t, passwd** result) {
  *result = nullptr;
  return 0;
}

// OpenSSL loads engines and providers from shared objects built for the host's libcrypto: the
// launcher skips the configuration that names them (OPENSSL_INIT_NO_LOAD_CONFIG), and a
// request that still comes here fails as "not found" (dlerror() then has nothing to add).
void* __wrap_dlopen(const char*, int);
void* __wrap_dlopen(const char*, int) {
  return nullptr;
}

// The libraries below have no static archive in Debian (or pull more that has none); these
// stand in for them, answering as if the feature were absent.
//
// Internationalised host names: refused, as a libcurl built without IDN refuses them.
int idn2_lookup_ul(const char*, char** lookupname, int) {
  *lookupname = nullptr;
  return IDN2_ENCODING_ERROR;
}
void idn2_free(void*) {}
// curl_version() and curl_version_info() ask: none, so curl reports no IDN support.
const char* idn2_check_version(const char*) {
  return nullptr;
}

// The public suffix list, for cookies (the registry client keeps none): no list.
const psl_ctx_t* psl_builtin() {
  return nullptr;
}
psl_ctx_t* psl_latest(const char*) {
  return nullptr;
}
void psl_free(psl_ctx_t*) {}
int psl_is_cookie_domain_acceptable(const psl_ctx_t*, const char*, const char*) {
  return 0;
}

} // extern "C"
