// Reader of glibc's /etc/ld.so.cache, so that the driver's libraries are found the way the
// host's dynamic linker finds them, without running `ldconfig -p` (as libnvidia-container does).
// Bounds-checked throughout: the file is host data, never trusted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cinit::launcher {

// One cache entry: `soname` (the key, e.g. "libcuda.so.1") and `path` (what the linker opens,
// usually the soname symlink, e.g. "/usr/lib/x86_64-linux-gnu/libcuda.so.1").
struct LdCacheEntry {
  std::string soname;
  std::string path;
  std::int32_t flags = 0; // glibc's FLAG_* bits: type in the low byte, ABI in the next one
  std::uint64_t hwcap = 0;
};

// glibc's `flags` layout (elf/cachectl / sysdeps ldconfig.h): low byte 0x03 = ELF libc6, the
// second byte names the ABI; 0 there means the plain 32-bit ABI of the machine.
constexpr std::int32_t ld_flag_type_mask = 0x00ff;
constexpr std::int32_t ld_flag_elf_libc6 = 0x0003;
constexpr std::int32_t ld_flag_abi_mask = 0xff00;
constexpr std::int32_t ld_flag_x8664_lib64 = 0x0300;
constexpr std::int32_t ld_flag_aarch64_lib64 = 0x0a00;

// The ABI of this build's native libraries (x86-64 or aarch64), i.e. what a 64-bit process of
// this launcher's machine can load.
bool ld_entry_is_native(const LdCacheEntry& e);
// 32-bit libc6 libraries on x86-64 (i386): NVIDIA's `compat32` capability.
bool ld_entry_is_compat32(const LdCacheEntry& e);

// Parses the "glibc-ld.so.cache1.1" format, alone or after an old "ld.so-1.7.0" table (the
// "compat" layout older ldconfigs wrote); an old-only file is read from its old table.
// Entries keep the file's order (the linker's preference order). Throws SysError naming
// `origin` on a malformed file.
std::vector<LdCacheEntry> parse_ld_cache(std::string_view data, const std::string& origin);

// Reads and parses a cache file. Throws SysError when it cannot be read or parsed.
std::vector<LdCacheEntry> read_ld_cache(const std::string& path);

// Serialises entries in the new format (as `ldconfig -c new` would, without the optional
// extension section). For tests and fuzz seeds: real hosts' caches come from ldconfig.
std::string write_ld_cache(const std::vector<LdCacheEntry>& entries);

} // namespace cinit::launcher
