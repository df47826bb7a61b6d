// Reader of glibc's ld.so.cache (new format, optionally behind the old table). Every offset
// and count is checked against the file size before use: a corrupt cache is an error, not UB.
#include "launcher/gpu/ldcache.hpp"

#include "common/syscall.hpp"
#include "launcher/error.hpp"

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

namespace cinit::launcher {

namespace {

// Layout (glibc sysdeps/generic/dl-cache.h, checked against Debian 12's ldconfig output):
// old header: magic[11] "ld.so-1.7.0", pad to 4, uint32 nlibs; entries {int32 flags;
// uint32 key, value} whose string offsets count from the end of the entry table.
// New header: magic[17] "glibc-ld.so.cache" + version[3] "1.1", uint32 nlibs, uint32
// len_strings, uint8 flags, pad[3], uint32 extension_offset, uint32 unused[3]; entries
// {int32 flags; uint32 key, value, osversion; uint64 hwcap} whose string offsets count from
// the start of the new header. In the compat layout the new header follows the old table,
// aligned to 8.
constexpr std::string_view old_magic = "ld.so-1.7.0";
constexpr std::string_view new_magic = "glibc-ld.so.cache1.1";
constexpr std::size_t old_header_size = 16;
constexpr std::size_t old_entry_size = 12;
constexpr std::size_t new_header_size = 48;
constexpr std::size_t new_entry_size = 24;

template <typename T> T load(std::string_view data, std::size_t off) {
  T v{};
  std::memcpy(&v, data.data() + off, sizeof v);
  return v;
}

[[noreturn]] void corrupt(const std::string& origin, const std::string& why) {
  throw SysError("unable to parse linker cache (" + why + ")", origin);
}

// The NUL-terminated string at `base + off`, which must end inside the file.
std::string string_at(std::string_view data, std::size_t base, std::uint32_t off,
                      const std::string& origin) {
  std::size_t start = base + off;
  if (start < base || start >= data.size())
    corrupt(origin, "string offset out of range");
  std::size_t end = data.find('\0', start);
  if (end == std::string_view::npos)
    corrupt(origin, "unterminated string");
  return std::string(data.substr(start, end - start));
}

std::vector<LdCacheEntry> parse_new(std::string_view data, std::size_t base,
                                    const std::string& origin) {
  if (data.size() - base < new_header_size)
    corrupt(origin, "truncated header");
  auto nlibs = load<std::uint32_t>(data, base + 20);
  std::size_t room = (data.size() - base - new_header_size) / new_entry_size;
  if (nlibs > room)
    corrupt(origin, "entry count exceeds file size");
  std::vector<LdCacheEntry> out;
  out.reserve(nlibs);
  for (std::size_t i = 0; i < nlibs; ++i) {
    std::size_t e = base + new_header_size + i * new_entry_size;
    LdCacheEntry entry;
    entry.flags = load<std::int32_t>(data, e);
    entry.soname = string_at(data, base, load<std::uint32_t>(data, e + 4), origin);
    entry.path = string_at(data, base, load<std::uint32_t>(data, e + 8), origin);
    entry.hwcap = load<std::uint64_t>(data, e + 16);
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<LdCacheEntry> parse_old(std::string_view data, const std::string& origin) {
  if (data.size() < old_header_size)
    corrupt(origin, "truncated header");
  auto nlibs = load<std::uint32_t>(data, 12);
  std::size_t room = (data.size() - old_header_size) / old_entry_size;
  if (nlibs > room)
    corrupt(origin, "entry count exceeds file size");
  std::size_t table_end = old_header_size + std::size_t{nlibs} * old_entry_size;
  // glibc prefers the new table when it follows the old one (dl-cache.c): so do we.
  std::size_t new_off = (table_end + 7) & ~std::size_t{7};
  if (new_off <= data.size() && data.size() - new_off >= new_magic.size() &&
      data.substr(new_off, new_magic.size()) == new_magic)
    return parse_new(data, new_off, origin);
  std::vector<LdCacheEntry> out;
  out.reserve(nlibs);
  for (std::size_t i = 0; i < nlibs; ++i) {
    std::size_t e = old_header_size + i * old_entry_size;
    LdCacheEntry entry;
    entry.flags = load<std::int32_t>(data, e);
    entry.soname = string_at(data, table_end, load<std::uint32_t>(data, e + 4), origin);
    entry.path = string_at(data, table_end, load<std::uint32_t>(data, e + 8), origin);
    out.push_back(std::move(entry));
  }
  return out;
}

template <typename T> void store(std::string& out, T v) {
  char buf[sizeof v];
  std::memcpy(buf, &v, sizeof v);
  out.append(buf, sizeof v);
}

} // namespace

bool ld_entry_is_native(const LdCacheEntry& e) {
  if ((e.flags & ld_flag_type_mask) != ld_flag_elf_libc6)
    return false;
#if defined(__x86_64__)
  return (e.flags & ld_flag_abi_mask) == ld_flag_x8664_lib64;
#elif defined(__aarch64__)
  return (e.flags & ld_flag_abi_mask) == ld_flag_aarch64_lib64;
#else
  return (e.flags & ld_flag_abi_mask) == 0;
#endif
}

bool ld_entry_is_compat32(const LdCacheEntry& e) {
#if defined(__x86_64__)
  return (e.flags & ld_flag_type_mask) == ld_flag_elf_libc6 && (e.flags & ld_flag_abi_mask) == 0;
#else
  (void)e; // NVIDIA ships 32-bit compat libraries for x86-64 only.
  return false;
#endif
}

std::vector<LdCacheEntry> parse_ld_cache(std::string_view data, const std::string& origin) {
  if (data.substr(0, old_magic.size()) == old_magic)
    return parse_old(data, origin);
  if (data.substr(0, new_magic.size()) == new_magic)
    return parse_new(data, 0, origin);
  corrupt(origin, "unknown format");
}

std::vector<LdCacheEntry> read_ld_cache(const std::string& path) {
  std::optional<std::string> data = read_file(path);
  if (!data) {
    int err = errno;
    throw SysError("unable to read linker cache", path, err);
  }
  return parse_ld_cache(*data, path);
}

std::string write_ld_cache(const std::vector<LdCacheEntry>& entries) {
  std::string strings;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> offsets;
  std::size_t strings_base = new_header_size + entries.size() * new_entry_size;
  for (const LdCacheEntry& e : entries) {
    auto key = static_cast<std::uint32_t>(strings_base + strings.size());
    strings.append(e.soname).push_back('\0');
    auto value = static_cast<std::uint32_t>(strings_base + strings.size());
    strings.append(e.path).push_back('\0');
    offsets.emplace_back(key, value);
  }
  std::string out(new_magic);
  store(out, static_cast<std::uint32_t>(entries.size()));
  store(out, static_cast<std::uint32_t>(strings.size()));
  store(out, std::uint8_t{0}); // endianness unknown: the reader assumes the host's
  out.append(3, '\0');
  store(out, std::uint32_t{0}); // no extension section
  out.append(12, '\0');
  for (std::size_t i = 0; i < entries.size(); ++i) {
    store(out, entries[i].flags);
    store(out, offsets[i].first);
    store(out, offsets[i].second);
    store(out, std::uint32_t{0});
    store(out, entries[i].hwcap);
  }
  out += strings;
  return out;
}

} // namespace cinit::launcher
