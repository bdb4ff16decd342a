#include "http/retry_after.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

namespace fwm::http {

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now)
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    if (value.empty())
        return std::nullopt;
    if (value.front() >= '0' && value.front() <= '9') {
        long long seconds = 0;
        const auto r = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (r.ec != std::errc{} || r.ptr != value.data() + value.size())
            return std::nullopt;
        constexpr long long kDay = 86400; // a longer wait is a server mistake, not a plan
        return std::chrono::seconds(seconds > kDay ? kDay : seconds);
    }
    // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7).
    std::tm tm{};
    const std::string text(value);
    const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0')
        return std::nullopt;
    const std::time_t when = timegm(&tm);
    // Compare in seconds: a date centuries ahead would overflow a
    // nanosecond time_point.
    const std::time_t now_s = std::chrono::system_clock::to_time_t(now);
    if (when == static_cast<std::time_t>(-1) || when <= now_s)
        return std::chrono::milliseconds(0);
    constexpr std::time_t kDay = 86400; // a longer wait is a server mistake, not a plan
    return std::chrono::milliseconds(std::chrono::seconds(std::min<std::time_t>(when - now_s, kDay)));
}

} // namespace fwm::http
