#include "fleet/rfc3339.hpp"

#include <chrono>
#include <cstdio>

namespace fwm::fleet {

namespace {

namespace chrono = std::chrono;

// The calendar is C++20's (proleptic Gregorian). Seconds here come from
// parse_rfc3339 (years 1970 to 9999, which an offset can take a few hours
// past either end) or a clock; the clamp keeps any value inside the years
// whose day count fits every library's `days`. The day after the last is
// 10000-01-01, which parse_rfc3339 would refuse.
constexpr std::int64_t kLastSecond = 253402300799; // 9999-12-31T23:59:59Z

chrono::sys_days day_of(std::int64_t seconds) noexcept
{
    const std::int64_t s = seconds < 0 ? 0 : seconds > kLastSecond ? kLastSecond : seconds;
    return chrono::floor<chrono::days>(chrono::sys_seconds{chrono::seconds{s}});
}

std::int64_t seconds_of(chrono::sys_days day) noexcept
{
    return chrono::duration_cast<chrono::seconds>(day.time_since_epoch()).count();
}

bool digits(std::string_view s, std::size_t at, std::size_t n, unsigned& out) noexcept
{
    if (at + n > s.size())
        return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}

std::string day_text(chrono::year_month_day ymd)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT00:00:00Z", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
}

} // namespace

std::optional<double> parse_rfc3339(std::string_view s) noexcept
{
    unsigned y, mo, d, h, mi, se;
    if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) ||
        s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
        return std::nullopt;
    const chrono::year_month_day date{chrono::year{static_cast<int>(y)}, chrono::month{mo}, chrono::day{d}};
    if (y < 1970 || !date.ok() || h > 23 || mi > 59 || se > 60) // 60: a leap second, read as the next second's start
        return std::nullopt;
    std::size_t i = 19;
    double fraction = 0;
    if (i < s.size() && s[i] == '.') {
        double scale = 0.1;
        std::size_t start = ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            fraction += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == start || i - start > 12)
            return std::nullopt;
    }
    std::int64_t offset = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        unsigned oh, om;
        if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, om) || oh > 23 ||
            om > 59)
            return std::nullopt;
        offset = (s[i] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size())
        return std::nullopt;
    const std::int64_t seconds = seconds_of(chrono::sys_days{date}) + h * 3600 + mi * 60 + se - offset;
    return static_cast<double>(seconds) + fraction;
}

std::string utc_day_start(std::int64_t unix_seconds) { return day_text(day_of(unix_seconds)); }

std::string utc_next_day_start(std::int64_t unix_seconds) { return day_text(day_of(unix_seconds) + chrono::days{1}); }

UtcMonth utc_month_of(std::int64_t unix_seconds)
{
    const chrono::year_month_day day{day_of(unix_seconds)};
    const chrono::year_month month = day.year() / day.month();
    const chrono::sys_days first{month / 1}, next{(month + chrono::months{1}) / 1};
    UtcMonth out;
    out.start = seconds_of(first);
    out.end = seconds_of(next);
    out.start_text = day_text(first);
    char name[16];
    std::snprintf(name, sizeof name, "%04d-%02u", static_cast<int>(month.year()), static_cast<unsigned>(month.month()));
    out.name = name;
    return out;
}

} // namespace fwm::fleet
