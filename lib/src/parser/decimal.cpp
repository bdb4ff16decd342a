#include "parser/decimal.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>
#ifndef _WIN32
#include <locale.h>
#include <stdlib.h>
#endif

#include <fast_float/fast_float.h>

namespace fwm::parser {
namespace {

#ifndef _WIN32
locale_t c_locale() noexcept
{
    static const locale_t locale = ::newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    return locale;
}
#endif

// Exactly rounded like strtod, without a locale, a copy or errno. A first
// byte that is a digit or a point rules out what fast_float reads beyond
// our form (a sign, "inf", "nan"); it must then read every byte.
Conversion decimal_to_double(std::string_view text, double& out) noexcept
{
    if (text.empty() || !((text[0] >= '0' && text[0] <= '9') || text[0] == '.'))
        return Conversion::syntax;
    const char* end = text.data() + text.size();
    double v = 0;
    const auto r = fast_float::from_chars(text.data(), end, v);
    // fast_float 4 and later say result_out_of_range for what 3.x (Debian 12's)
    // reads as inf or 0 without a word; both set the value as strtod does.
    if ((r.ec != std::errc() && r.ec != std::errc::result_out_of_range) || r.ptr != end)
        return Conversion::syntax;
    out = v;
    return std::isinf(v) ? Conversion::overflow : Conversion::ok;
}

#ifdef _WIN32
// What strtod gives for a hex float out of double's range: inf above it, 0
// below it, told apart by the binary magnitude of mantissa and exponent.
double out_of_range_value(std::string_view text) noexcept
{
    const std::size_t p = text.find_first_of("pP");
    const std::string_view mantissa = text.substr(0, p);
    long long exponent = 0;
    if (p != std::string_view::npos) {
        std::string_view e = text.substr(p + 1);
        const bool negative = !e.empty() && e[0] == '-';
        if (!e.empty() && (e[0] == '-' || e[0] == '+'))
            e.remove_prefix(1);
        for (const char c : e)
            exponent = std::min(exponent * 10 + (c - '0'), 1'000'000'000LL); // far past any double
        exponent = negative ? -exponent : exponent;
    }
    const std::size_t dot = mantissa.find('.');
    const std::string_view whole = mantissa.substr(0, dot);
    const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : mantissa.substr(dot + 1);
    long long magnitude = 0; // 4 bits a hex digit, from the first that is not 0
    if (const std::size_t nz = whole.find_first_not_of('0'); nz != std::string_view::npos)
        magnitude = 4 * static_cast<long long>(whole.size() - nz);
    else if (const std::size_t fz = fraction.find_first_not_of('0'); fz != std::string_view::npos)
        magnitude = -4 * static_cast<long long>(fz);
    else
        return 0.0;
    return magnitude + exponent > 0 ? HUGE_VAL : 0.0;
}
#endif

// Go's hexadecimal floats ("1p-2" after the "0x"), which fast_float does not
// read. strtod_l reads more (spaces, a sign, "inf"): only hex digits, a point,
// a p exponent and its sign reach it, and it must read all of them.
Conversion hex_to_double(std::string_view text, double& out) noexcept
{
    for (const char c : text) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
                        c == 'p' || c == 'P' || c == '+' || c == '-';
        if (!ok)
            return Conversion::syntax;
    }
    if (text.empty() || text[0] == '+' || text[0] == '-')
        return Conversion::syntax;
#ifdef _WIN32
    // Windows' C library reads no hex floats; libstdc++'s from_chars does,
    // exactly rounded, without a locale. It takes no "0x" and no exponent sign
    // it cannot read, as strtod_l.
    double v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::hex);
    if (r.ptr != text.data() + text.size() || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range))
        return Conversion::syntax;
    if (r.ec == std::errc::result_out_of_range) // strtod's answers: inf above the range, 0 below
        v = out_of_range_value(text);
    out = v;
    return std::isinf(v) ? Conversion::overflow : Conversion::ok;
#else
    const locale_t locale = c_locale();
    if (!locale)
        return Conversion::syntax; // out of memory at the first call: nothing better to do
    std::string buffer;
    try {
        buffer.reserve(text.size() + 3);
        buffer.append("0x").append(text);
    } catch (...) {
        return Conversion::syntax;
    }
    char* end = nullptr;
    const double v = ::strtod_l(buffer.c_str(), &end, locale);
    if (end != buffer.c_str() + buffer.size())
        return Conversion::syntax;
    out = v;
    return std::isinf(v) ? Conversion::overflow : Conversion::ok; // only digits got here: inf is out of range
#endif
}

} // namespace

Conversion to_double(std::string_view text, bool hex, double& out) noexcept
{
    return hex ? hex_to_double(text, out) : decimal_to_double(text, out);
}

} // namespace fwm::parser
