// SHA-256 (FIPS 180-4), incremental, for verifying layer and config digests while reading.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
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
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_{};
  std::array<std::uint8_t, 64> buf_{};
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view data);
// Digest of a whole file; throws SysError when it cannot be read.
std::string sha256_file(const std::string& path);

} // namespace cinit::launcher
