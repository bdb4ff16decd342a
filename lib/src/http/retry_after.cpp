#include "http/retry_after.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <iterator>
#include <string>

namespace fwm::http {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept
{
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool same_name(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

// Digits [1, most] at the front of `s` as a number, consumed.
std::optional<unsigned> digits(std::string_view& s, std::size_t most) noexcept
{
    std::size_t n = 0;
    unsigned v = 0;
    while (n < s.size() && n < most && s[n] >= '0' && s[n] <= '9')
        v = v * 10 + static_cast<unsigned>(s[n++] - '0');
    if (n == 0)
        return std::nullopt;
    s.remove_prefix(n);
    return v;
}

bool take(std::string_view& s, char c) noexcept
{
    if (s.empty() || s.front() != c)
        return false;
    s.remove_prefix(1);
    return true;
}

} // namespace

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7), read without the C
// library: strptime() is POSIX only and reads names in the process's locale.
std::optional<std::int64_t> parse_imf_fixdate(std::string_view s) noexcept
{
    static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (s.size() < 4 || std::none_of(std::begin(kDays), std::end(kDays), [&](auto d) { return same_name(s.substr(0, 3), d); }))
        return std::nullopt;
    s.remove_prefix(3);
    if (!take(s, ',') || !take(s, ' '))
        return std::nullopt;
    const auto day = digits(s, 2);
    if (!day || !take(s, ' ') || s.size() < 3)
        return std::nullopt;
    unsigned month = 0;
    while (month < 12 && !same_name(s.substr(0, 3), kMonths[month]))
        ++month;
    if (month == 12)
        return std::nullopt;
    s.remove_prefix(3);
    if (!take(s, ' '))
        return std::nullopt;
    const auto year = digits(s, 4);
    if (!year || !take(s, ' '))
        return std::nullopt;
    const auto hour = digits(s, 2);
    if (!hour || !take(s, ':'))
        return std::nullopt;
    const auto minute = digits(s, 2);
    if (!minute || !take(s, ':'))
        return std::nullopt;
    const auto second = digits(s, 2);
    if (!second || s != " GMT")
        return std::nullopt;
    static constexpr unsigned kLength[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
    if (*day < 1 || *day > kLength[month] || (month == 1 && *day == 29 && !leap) || *hour > 23 || *minute > 59 ||
        *second > 60) // 60: a leap second
        return std::nullopt;
    return days_from_civil(*year, month + 1, *day) * 86400 + *hour * 3600 + *minute * 60 + *second;
}

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
    const std::optional<std::int64_t> when = parse_imf_fixdate(value);
    if (!when)
        return std::nullopt;
    // Compare in seconds: a date centuries ahead would overflow a
    // nanosecond time_point.
    const std::time_t now_s = std::chrono::system_clock::to_time_t(now);
    if (*when <= now_s)
        return std::chrono::milliseconds(0);
    constexpr std::int64_t kDay = 86400; // a longer wait is a server mistake, not a plan
    return std::chrono::milliseconds(std::chrono::seconds(std::min<std::int64_t>(*when - now_s, kDay)));
}

} // namespace fwm::http
