// The Retry-After header of a 429 or 503: delay-seconds or an HTTP-date.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace fwm::http {

// How long to wait from `now`; nullopt when the value is neither form. A
// date in the past gives zero.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

} // namespace fwm::http
