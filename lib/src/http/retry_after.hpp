// The Retry-After header of a 429 or 503: delay-seconds or an HTTP-date.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fwm::http {

// How long to wait from `now`; nullopt when the value is neither form. A
// date in the past gives zero.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") as seconds since the
// epoch; nullopt when it is not one (or names a day that does not exist).
std::optional<std::int64_t> parse_imf_fixdate(std::string_view text) noexcept;

} // namespace fwm::http
