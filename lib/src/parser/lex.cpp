#include "parser/lex.hpp"

#include "parser/decimal.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace fwm::parser::lex {
namespace {

bool iequals(std::string_view a, std::string_view lower) noexcept
{
    if (a.size() != lower.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return true;
}

bool parse_float(std::string_view token, double& out) noexcept
{
    if (token.empty())
        return false;
    const char* p = token.data();
    const char* end = p + token.size();
    bool negative = false;
    if (*p == '+' || *p == '-') {
        negative = *p == '-';
        ++p;
    }
    if (p == end || *p == '+' || *p == '-')
        return false;
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
        // from_chars would also take "nan(...)"; accept only the plain words.
        const std::string_view word(p, static_cast<std::size_t>(end - p));
        if (iequals(word, "nan")) {
            out = std::numeric_limits<double>::quiet_NaN();
            return true;
        }
        if (iequals(word, "inf") || iequals(word, "infinity")) {
            out = negative ? -std::numeric_limits<double>::infinity()
                           : std::numeric_limits<double>::infinity();
            return true;
        }
        return false;
    }
    // Fast path for the common short integers ("0", "17").
    if (end - p <= 15) {
        std::uint64_t v = 0;
        const char* q = p;
        while (q < end && *q >= '0' && *q <= '9')
            v = v * 10 + static_cast<std::uint64_t>(*q++ - '0');
        if (q == end) {
            out = negative ? -static_cast<double>(v) : static_cast<double>(v);
            return true;
        }
    }
    double v = 0;
    // An overflow saturates like Go's ParseFloat; an underflow is zero.
    if (to_double(std::string_view(p, static_cast<std::size_t>(end - p)), false, v) == Conversion::syntax)
        return false;
    out = negative ? -v : v;
    return true;
}

} // namespace

bool parse_value(std::string_view token, double& out) noexcept
{
    return parse_float(token, out);
}

namespace {

// Go's special(): "inf" or "infinity" with an optional sign, "nan" without one.
bool go_special(std::string_view word, bool has_sign, bool negative, double& out) noexcept
{
    if (iequals(word, "inf") || iequals(word, "infinity")) {
        out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        return true;
    }
    if (!has_sign && iequals(word, "nan")) {
        out = std::numeric_limits<double>::quiet_NaN();
        return true;
    }
    return false;
}

// Go's readFloat() with underscoreOK(), from s[i] (past the sign and any
// 0x prefix): digits that "_" may separate (after a digit or the prefix,
// before a digit), an optional point, an exponent (e for decimal; p,
// required, for hex). `digits` gets the number without its separators;
// false when Go refuses it.
bool go_float_digits(std::string_view s, std::size_t i, bool hex, std::string& digits)
{
    auto is_digit = [hex](char c, bool in_exponent) {
        return (c >= '0' && c <= '9') ||
               (hex && !in_exponent && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    };
    digits.reserve(s.size());
    char saw = hex ? '0' : '^'; // the last class: '0' digit or prefix, '_' separator, '!' other
    bool mantissa = false, point = false, exponent = false, exponent_digits = false;
    for (; i < s.size(); ++i) {
        const char c = s[i];
        if (is_digit(c, exponent)) {
            saw = '0';
            (exponent ? exponent_digits : mantissa) = true;
            digits += c;
            continue;
        }
        if (c == '_') {
            if (saw != '0')
                return false;
            saw = '_';
            continue;
        }
        if (saw == '_')
            return false;
        saw = '!';
        if (c == '.' && !point && !exponent) {
            point = true;
            digits += c;
        } else if (!exponent && (hex ? (c == 'p' || c == 'P') : (c == 'e' || c == 'E'))) {
            exponent = true;
            digits += c;
            if (i + 1 < s.size() && (s[i + 1] == '+' || s[i + 1] == '-'))
                digits += s[++i];
        } else {
            return false;
        }
    }
    return !(saw == '_' || !mantissa || (exponent && !exponent_digits) || (hex && !exponent));
}

} // namespace

bool parse_go_float(std::string_view s, double& out) noexcept
{
    if (s.empty())
        return false;
    std::size_t i = 0;
    bool negative = false;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        i = 1;
    }
    if (go_special(s.substr(i), i == 1, negative, out))
        return true;
    const bool hex = s.size() >= i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
    if (hex)
        i += 2;
    std::string digits;
    if (!go_float_digits(s, i, hex, digits))
        return false;
    // Go: an overflow is an error (Prometheus then skips the bucket); an
    // underflow is zero, or the nearest subnormal.
    double v = 0;
    if (to_double(digits, hex, v) != Conversion::ok)
        return false;
    out = negative ? -v : v;
    return true;
}

bool parse_timestamp_ms(std::string_view token, double& seconds) noexcept
{
    const char* p = token.data();
    const char* end = p + token.size();
    bool negative = false;
    if (p < end && *p == '-') {
        negative = true;
        ++p;
    }
    if (p < end && end - p <= 18) {
        std::int64_t v = 0;
        const char* q = p;
        while (q < end && *q >= '0' && *q <= '9')
            v = v * 10 + (*q++ - '0');
        if (q == end) {
            seconds = static_cast<double>(negative ? -v : v) / 1000.0;
            return true;
        }
    }
    double ms = 0;
    if (!parse_float(token, ms) || !std::isfinite(ms))
        return false;
    seconds = ms / 1000.0;
    return true;
}

bool parse_timestamp_s(std::string_view token, double& seconds) noexcept
{
    double v = 0;
    if (!parse_float(token, v) || !std::isfinite(v))
        return false;
    seconds = v;
    return true;
}

} // namespace fwm::parser::lex
