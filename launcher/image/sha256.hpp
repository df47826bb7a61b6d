// SHA-256, incremental, for verifying layer and config digests while reading. OpenSSL's, which
// uses the CPU's SHA extensions where there are any: hashing every layer twice (compressed and
// uncompressed) must cost far less than unpacking it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace cinit::launcher {

class Sha256 {
public:
  Sha256();
  void update(const void* data, std::size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Lower-case hex of the digest; the object must not be updated afterwards.
  std::string hex_digest();

private:
  struct Context; // OpenSSL's EVP_MD_CTX, kept out of every includer
  struct ContextDeleter {
    void operator()(Context* c) const;
  };
  std::unique_ptr<Context, ContextDeleter> ctx_;
};

std::string sha256_hex(std::string_view data);
// Digest of a whole file; throws SysError when it cannot be read.
std::string sha256_file(const std::string& path);

} // namespace cinit::launcher
