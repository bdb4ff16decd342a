#include "parser/lex.hpp"

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
    const auto r = std::from_chars(p, end, v, std::chars_format::general);
    if (r.ec == std::errc::result_out_of_range) {
        // Overflow saturates like Go's ParseFloat; underflow is zero.
        v = std::strtod(std::string(p, end).c_str(), nullptr);
    } else if (r.ec != std::errc{}) {
        return false;
    }
    if (r.ptr != end)
        return false;
    out = negative ? -v : v;
    return true;
}

} // namespace

bool parse_value(std::string_view token, double& out) noexcept
{
    return parse_float(token, out);
}

bool parse_go_float(std::string_view token, double& out) noexcept
{
    if (parse_float(token, out))
        return true;
    std::size_t i = 0;
    const bool negative = !token.empty() && token[0] == '-';
    if (!token.empty() && (token[0] == '+' || token[0] == '-'))
        ++i;
    if (token.size() < i + 2 || token[i] != '0' || (token[i + 1] != 'x' && token[i + 1] != 'X'))
        return false;
    i += 2;
    // Copy without the separators Go allows: "_" between the prefix or a
    // digit and another digit.
    auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    char buf[128];
    std::size_t n = 0;
    bool exponent = false;
    for (std::size_t j = i; j < token.size(); ++j) {
        const char c = token[j];
        if (c == '_') {
            const bool after = j == i || hex(token[j - 1]);
            if (exponent || !after || j + 1 == token.size() || !hex(token[j + 1]))
                return false;
            continue;
        }
        exponent = exponent || c == 'p' || c == 'P';
        if (n == sizeof buf)
            return false;
        buf[n++] = c;
    }
    if (!exponent || n == 0 || buf[0] == '+' || buf[0] == '-') // Go requires the p exponent
        return false;
    double v = 0;
    const auto r = std::from_chars(buf, buf + n, v, std::chars_format::hex);
    if (r.ptr != buf + n || (r.ec != std::errc{} && r.ec != std::errc::result_out_of_range))
        return false;
    if (r.ec == std::errc::result_out_of_range) // saturates like ParseFloat; underflow is zero
        v = std::strtod(("0x" + std::string(buf, n)).c_str(), nullptr);
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
