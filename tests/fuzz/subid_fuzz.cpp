// Fuzzes /etc/subuid and /etc/subgid reading. Input: "USER\nID\nFILE". No crash; a range is
// found only on a line "WHO:START:COUNT" whose WHO is the user's name or uid, whose START and
// COUNT are parse_id's numbers (COUNT > 0), and no earlier line qualifies.
#include "common/passwd.hpp"
#include "launcher/run/idmap.hpp"
#include "tests/fuzz/check.hpp"

#include <string>
#include <string_view>

using cinit::fuzz::check;

namespace {

std::string_view next_line(std::string_view& in) {
  const std::size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  return line;
}

// The reference reading of one line: the range it gives this user, if any.
std::optional<cinit::launcher::SubIdRange> range_of(std::string_view line, std::string_view user,
                                                    const std::string& id) {
  const std::size_t c1 = line.find(':');
  if (c1 == std::string_view::npos)
    return std::nullopt;
  const std::size_t c2 = line.find(':', c1 + 1);
  if (c2 == std::string_view::npos)
    return std::nullopt;
  const std::string_view who = line.substr(0, c1);
  if (who != user && who != id)
    return std::nullopt;
  const auto start = cinit::parse_id(line.substr(c1 + 1, c2 - c1 - 1));
  const auto count = cinit::parse_id(line.substr(c2 + 1));
  if (!start || !count || *count == 0)
    return std::nullopt;
  return cinit::launcher::SubIdRange{*start, *count};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string_view user = next_line(in);
  const auto id_number = cinit::parse_id(next_line(in));
  const unsigned long id = id_number ? *id_number : 1000;
  const std::string id_str = std::to_string(id);
  const std::string_view text = in;

  const auto found = cinit::launcher::find_subid_range(text, user, id);
  std::optional<cinit::launcher::SubIdRange> expected;
  for (std::string_view rest = text; !rest.empty() && !expected;)
    expected = range_of(next_line(rest), user, id_str);
  check(found.has_value() == expected.has_value(), "a range exactly when a line qualifies");
  if (found) {
    check(found->start == expected->start && found->count == expected->count,
          "the first qualifying line's range");
    check(found->count > 0, "ranges are not empty");
  }
  return 0;
}
