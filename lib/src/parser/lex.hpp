// Character classes and token readers shared by the parser. Everything here
// works on [p, end) ranges of one line and never reads past `end`.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "util/text.hpp"

namespace fwm::parser::lex {

enum : std::uint8_t {
    kNameStart = 1,      // [a-zA-Z_:]
    kName = 2,           // [a-zA-Z0-9_:]
    kLabelStart = 4,     // [a-zA-Z_]
    kLabel = 8,          // [a-zA-Z0-9_]
    kSpace = 16,         // ' ' or '\t'
};

constexpr std::array<std::uint8_t, 256> make_classes()
{
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        const bool digit = c >= '0' && c <= '9';
        std::uint8_t v = 0;
        if (alpha || c == '_' || c == ':')
            v |= kNameStart | kName;
        if (digit)
            v |= kName | kLabel;
        if (alpha || c == '_')
            v |= kLabelStart | kLabel;
        if (c == ' ' || c == '\t')
            v |= kSpace;
        t[static_cast<std::size_t>(c)] = v;
    }
    return t;
}

inline constexpr std::array<std::uint8_t, 256> kClasses = make_classes();

inline bool is(char c, std::uint8_t cls) noexcept
{
    return (kClasses[static_cast<unsigned char>(c)] & cls) != 0;
}

inline const char* skip_spaces(const char* p, const char* end) noexcept
{
    while (p < end && (*p == ' ' || *p == '\t'))
        ++p;
    return p;
}

inline const char* skip_class(const char* p, const char* end, std::uint8_t cls) noexcept
{
    while (p < end && is(*p, cls))
        ++p;
    return p;
}

// End of the token starting at p: the next space, tab or end of line.
inline const char* token_end(const char* p, const char* end) noexcept
{
    while (p < end && *p != ' ' && *p != '\t')
        ++p;
    return p;
}

// a < b for the short label names: a plain loop beats a memcmp call here.
inline bool name_less(std::string_view a, std::string_view b) noexcept
{
    const std::size_t n = a.size() < b.size() ? a.size() : b.size();
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i])
            return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
    return a.size() < b.size();
}

// A sample value: decimal or exponent float, NaN, +Inf, -Inf (any case,
// "inf" or "infinity"). No hex floats, no digit separators. True on success.
bool parse_value(std::string_view token, double& out) noexcept;

// A number exactly when Go's strconv.ParseFloat(s, 64) returns one without
// error, which is how Prometheus reads an `le` label: decimal and hex floats
// ("0x1p3", "-0x1.8p-2"; hex needs its p exponent), "_" between digits,
// "inf"/"infinity" with a sign, "nan" without; an overflow is an error.
bool parse_go_float(std::string_view token, double& out) noexcept;

// A Prometheus-text timestamp: integer milliseconds (may be negative); a float
// is accepted too and read in the same unit. Result in seconds.
bool parse_timestamp_ms(std::string_view token, double& seconds) noexcept;

// An OpenMetrics timestamp: float seconds.
bool parse_timestamp_s(std::string_view token, double& seconds) noexcept;

using util::valid_utf8;

} // namespace fwm::parser::lex
