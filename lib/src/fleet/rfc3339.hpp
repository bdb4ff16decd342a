// RFC 3339 timestamps as Fireworks' API writes them (protobuf JSON:
// "2026-05-28T00:00:00Z", with up to nine fraction digits and an offset),
// to seconds since the epoch, and back for the UTC day's bounds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fwm::fleet {

// Seconds since 1970-01-01T00:00:00Z, or nothing when `text` is not an
// RFC 3339 date-time (or lies outside years 1970 to 9999).
std::optional<double> parse_rfc3339(std::string_view text) noexcept;

// "YYYY-MM-DDT00:00:00Z" for the UTC day holding `unix_seconds`, and the
// day after it. Here and below, seconds before 1970 count as 1970-01-01 and
// seconds after 9999 as 9999-12-31 (the years parse_rfc3339 reads).
std::string utc_day_start(std::int64_t unix_seconds);
std::string utc_next_day_start(std::int64_t unix_seconds);

// The UTC month holding `unix_seconds`: [start, end) in seconds since the
// epoch, its first day as "YYYY-MM-DDT00:00:00Z" and its name "YYYY-MM".
struct UtcMonth {
    std::int64_t start = 0, end = 0;
    std::string start_text, name;
};
UtcMonth utc_month_of(std::int64_t unix_seconds);

} // namespace fwm::fleet
