#include "util/text.hpp"

#include <cstdint>
#include <cstdio>

namespace fwm::util {

std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) noexcept
{
    const unsigned char c = *p;
    if (c < 0x80)
        return 1;
    std::size_t n;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
        n = 1;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 2;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 3;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (static_cast<std::size_t>(end - p) <= n)
        return 0;
    for (std::size_t i = 1; i <= n; ++i) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n + 1;
}

namespace {

bool is_control(unsigned char c) noexcept
{
    return c < 0x20 || c == 0x7f;
}

std::uint32_t code_point(const unsigned char* p, std::size_t n) noexcept
{
    std::uint32_t cp = n == 2 ? (p[0] & 0x1Fu) : n == 3 ? (p[0] & 0x0Fu) : (p[0] & 0x07u);
    for (std::size_t i = 1; i < n; ++i)
        cp = (cp << 6) | (p[i] & 0x3Fu);
    return cp;
}

// Code points that act on a terminal or a reader instead of showing: C1
// controls (CSI among them), line and paragraph separators, bidirectional
// overrides and isolates, zero-width characters and the BOM.
bool is_invisible_control(std::uint32_t cp) noexcept
{
    // Unicode's format characters (Cf), line and paragraph separators, and
    // the fillers that render as nothing.
    struct Range {
        std::uint32_t first, last;
    };
    static constexpr Range kRanges[] = {
        {0x0080, 0x009F},   {0x00AD, 0x00AD},   {0x034F, 0x034F},   {0x0600, 0x0605},   {0x061C, 0x061C},
        {0x06DD, 0x06DD},   {0x070F, 0x070F},   {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x115F, 0x1160},
        {0x17B4, 0x17B5},   {0x180B, 0x180F},   {0x200B, 0x200F},   {0x2028, 0x202E},   {0x2060, 0x206F},
        {0x3164, 0x3164},   {0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0},   {0xFFF9, 0xFFFB},
        {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
        {0xE0000, 0xE0FFF},
    };
    for (const Range& r : kRanges)
        if (cp >= r.first && cp <= r.last)
            return true;
    return false;
}

} // namespace

bool valid_utf8(std::string_view s) noexcept
{
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        if (*p < 0x80) {
            ++p;
            continue;
        }
        const std::size_t n = utf8_sequence_length(p, end);
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

std::size_t utf8_prefix(std::string_view s, std::size_t max_bytes) noexcept
{
    if (s.size() <= max_bytes)
        return s.size();
    std::size_t n = max_bytes;
    // Step back over continuation bytes to the start of the cut character.
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        --n;
    return n;
}

bool is_clean_text(std::string_view s) noexcept
{
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        if (*p < 0x80) {
            if (is_control(*p))
                return false;
            ++p;
            continue;
        }
        const std::size_t n = utf8_sequence_length(p, end);
        if (n == 0 || is_invisible_control(code_point(p, n)))
            return false;
        p += n;
    }
    return true;
}

std::string clean_text(std::string_view s, std::size_t max_bytes)
{
    if (s.size() <= max_bytes && is_clean_text(s))
        return std::string(s);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() < max_bytes ? s.size() + 16 : max_bytes + 4);
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        char escaped[4];
        char wide[16];
        std::size_t piece_len = 0;
        const char* piece = nullptr;
        std::size_t n = 1;
        if (is_control(*p)) {
            escaped[0] = '\\';
            if (*p == '\n' || *p == '\r' || *p == '\t') {
                escaped[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
                piece_len = 2;
            } else {
                escaped[1] = 'x';
                escaped[2] = kHex[*p >> 4];
                escaped[3] = kHex[*p & 15];
                piece_len = 4;
            }
            piece = escaped;
        } else if (*p < 0x80) {
            piece = reinterpret_cast<const char*>(p);
            piece_len = 1;
        } else if ((n = utf8_sequence_length(p, end)) != 0) {
            const std::uint32_t cp = code_point(p, n);
            if (is_invisible_control(cp)) {
                const int n_written = std::snprintf(wide, sizeof wide, cp > 0xFFFF ? "\\U%08x" : "\\u%04x",
                                                    static_cast<unsigned>(cp));
                piece = wide;
                piece_len = static_cast<std::size_t>(n_written);
            } else {
                piece = reinterpret_cast<const char*>(p);
                piece_len = n;
            }
        } else {
            n = 1;
            escaped[0] = '\\';
            escaped[1] = 'x';
            escaped[2] = kHex[*p >> 4];
            escaped[3] = kHex[*p & 15];
            piece = escaped;
            piece_len = 4;
        }
        if (out.size() + piece_len > max_bytes) {
            out += "...";
            return out;
        }
        out.append(piece, piece_len);
        p += n;
    }
    return out;
}

std::string replace_invalid_utf8(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const std::size_t n = utf8_sequence_length(p, end);
        if (n == 0) {
            out += "\xef\xbf\xbd";
            ++p;
        } else {
            out.append(reinterpret_cast<const char*>(p), n);
            p += n;
        }
    }
    return out;
}

} // namespace fwm::util
