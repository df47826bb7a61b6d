// Durations in seconds as our programs read them (KILL_PROCESS_TIMEOUT,
// KILL_ALL_PROCESSES_TIMEOUT, SVWAIT, `sv -w`): one parser, so that cinit, the supervisor it
// starts and sv never disagree about the same text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cinit {

// The largest accepted value (about 115 days): deadlines computed from it stay far from the
// clocks' overflow.
inline constexpr double max_seconds = 1e7;

// A non-negative decimal number of seconds ("30", "0.5", ".5", "5."), blanks around it
// allowed (an env file's "30\n"). nullopt for anything else: empty, signs, exponents,
// "nan", "inf", hex, or more than max_seconds.
std::optional<double> parse_seconds(std::string_view text);

// The environment variable NAME in seconds: `fallback` when it is unset or empty, nullopt
// when it is set to something parse_seconds refuses.
std::optional<double> seconds_from_env(const char* name, double fallback);

// The one-line complaint about a bad value: "invalid NAME 'VALUE': expected a number of seconds".
std::string bad_seconds(std::string_view name, std::string_view value);

} // namespace cinit
