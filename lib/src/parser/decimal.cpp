#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 // strtod_l, newlocale
#endif
#include "parser/decimal.hpp"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <locale.h>
#include <stdlib.h>
#include <string>

namespace fwm::parser {
namespace {

// Clinger's fast path: a mantissa of at most 2^53 times a power of ten up to
// 10^22 is one exactly rounded multiplication or division, as both factors
// are exact doubles. Metric values ("0.0166667", "1234.5") are nearly all so.
bool fast_path(std::string_view t, double& out) noexcept
{
    static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    std::uint64_t m = 0;
    int digits = 0, fraction = 0;
    bool any = false, point = false;
    std::size_t i = 0;
    for (; i < t.size(); ++i) {
        const char c = t[i];
        if (c >= '0' && c <= '9') {
            any = true;
            fraction += point;
            if (m == 0 && c == '0')
                continue; // leading zeros carry no digits
            if (++digits > 19)
                return false;
            m = m * 10 + static_cast<std::uint64_t>(c - '0');
        } else if (c == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    if (!any)
        return false;
    int exponent = 0;
    if (i < t.size()) {
        if (t[i] != 'e' && t[i] != 'E')
            return false;
        bool negative = false;
        if (++i < t.size() && (t[i] == '+' || t[i] == '-'))
            negative = t[i++] == '-';
        if (i == t.size())
            return false;
        for (; i < t.size(); ++i) {
            if (t[i] < '0' || t[i] > '9' || exponent > 10000)
                return false;
            exponent = exponent * 10 + (t[i] - '0');
        }
        exponent = negative ? -exponent : exponent;
    }
    if (m == 0) {
        out = 0;
        return true;
    }
    const int e10 = exponent - fraction;
    if (m > (std::uint64_t{1} << 53) || e10 < -22 || e10 > 22)
        return false;
    out = e10 < 0 ? static_cast<double>(m) / kPow10[-e10] : static_cast<double>(m) * kPow10[e10];
    return true;
}

locale_t c_locale() noexcept
{
    static const locale_t locale = ::newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    return locale;
}

} // namespace

Conversion to_double(std::string_view text, bool hex, double& out) noexcept
{
    if (!hex && fast_path(text, out))
        return Conversion::ok;
    // strtod_l reads more forms than ours ("inf", "0x" in a decimal, spaces):
    // only the characters of the form asked for reach it, and all of them must be read.
    for (const char c : text) {
        const bool digit = (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-';
        const bool letter = hex ? ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == 'p' || c == 'P')
                                : (c == 'e' || c == 'E');
        if (!digit && !letter)
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
        buffer.append(hex ? "0x" : "").append(text);
    } catch (...) {
        return Conversion::syntax;
    }
    char* end = nullptr;
    errno = 0;
    const double v = ::strtod_l(buffer.c_str(), &end, locale);
    if (end != buffer.c_str() + buffer.size())
        return Conversion::syntax;
    out = v;
    return errno == ERANGE && std::isinf(v) ? Conversion::overflow : Conversion::ok;
}

} // namespace fwm::parser
