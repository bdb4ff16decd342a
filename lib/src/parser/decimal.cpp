#include "parser/decimal.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <locale.h>
#include <stdlib.h>
#include <string>
#include <system_error>

#include <fast_float/fast_float.h>

namespace fwm::parser {
namespace {

locale_t c_locale() noexcept
{
    static const locale_t locale = ::newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    return locale;
}

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
}

} // namespace

Conversion to_double(std::string_view text, bool hex, double& out) noexcept
{
    return hex ? hex_to_double(text, out) : decimal_to_double(text, out);
}

} // namespace fwm::parser
