#include "launcher/image/sha256.hpp"

#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <unistd.h>

namespace cinit::launcher {
namespace {

// One fetch of the implementation for the process. libcrypto is initialised without reading
// openssl.cnf, as the pull code does: a static binary must not load modules a config names.
const EVP_MD* sha256_md() {
  static const EVP_MD* const md = [] {
    (void)OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr); // failure shows below
    return EVP_MD_fetch(nullptr, "SHA256", nullptr);
  }();
  if (md == nullptr)
    throw SysError("unable to set up SHA-256: OpenSSL has no SHA256 implementation");
  return md;
}

EVP_MD_CTX* evp(void* c) {
  return static_cast<EVP_MD_CTX*>(c);
}

} // namespace

void Sha256::ContextDeleter::operator()(Context* c) const {
  EVP_MD_CTX_free(evp(c));
}

Sha256::Sha256() : ctx_(reinterpret_cast<Context*>(EVP_MD_CTX_new())) {
  if (!ctx_ || EVP_DigestInit_ex(evp(ctx_.get()), sha256_md(), nullptr) != 1)
    throw SysError("unable to set up SHA-256", {}, ENOMEM);
}

void Sha256::update(const void* data, std::size_t len) {
  // Only fails on a misused context (updated after hex_digest), which is a bug here.
  (void)EVP_DigestUpdate(evp(ctx_.get()), data, len);
}

std::string Sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(evp(ctx_.get()), md, &len) != 1)
    throw SysError("unable to finish a SHA-256 digest");
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(digits[md[i] >> 4]);
    out.push_back(digits[md[i] & 0xf]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

std::string sha256_file(const std::string& path) {
  UniqueFd fd(retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd.valid())
    throw SysError("unable to open", path, errno);
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = retry_eintr([&] { return ::read(fd.get(), buf, sizeof buf); });
    if (n < 0)
      throw SysError("unable to read", path, errno);
    if (n == 0)
      break;
    h.update(buf, static_cast<std::size_t>(n));
  }
  return h.hex_digest();
}

} // namespace cinit::launcher
