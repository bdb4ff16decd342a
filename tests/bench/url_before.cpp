// The hand-written parser this library used before Boost.URL (commit
// 69d5a59, lib/src/http/url.cpp), kept for bench_url only: the reference
// the new code is timed against. Not built into the library.
#include "url_before.hpp"

#include "util/ascii.hpp"

#include <charconv>

namespace fwm::http::before {

namespace {

using util::ascii_lower;

int hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

} // namespace

bool printable_ascii(std::string_view text, std::string& error)
{
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c <= 0x20 || c >= 0x7f) {
            // A space, CR, LF or other control byte would end the request
            // line or a header and let the rest be read as a new one.
            error = std::string(c >= 0x80 ? "contains a byte that is not ASCII (percent-encode it)"
                                          : "contains a space or a control character") +
                    " at position " + std::to_string(i + 1);
            return false;
        }
    }
    return true;
}

std::optional<Url> parse_url(std::string_view text, std::string& error, UrlRules rules)
{
    if (!printable_ascii(text, error))
        return std::nullopt;
    Url u;
    const auto colon = text.find("://");
    if (colon == std::string_view::npos) {
        error = "is not an absolute URL (expected https://host/path)";
        return std::nullopt;
    }
    u.scheme = ascii_lower(text.substr(0, colon));
    // What comes before "://" may be a user and password when the scheme was
    // left out: quote it only when it is a scheme's shape.
    if (u.scheme.empty() || u.scheme.size() > 16 || !(u.scheme[0] >= 'a' && u.scheme[0] <= 'z') ||
        u.scheme.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+.-") != std::string::npos) {
        error = "is not an absolute URL (expected https://host/path)";
        return std::nullopt;
    }
    if (u.scheme != "http" && u.scheme != "https") {
        error = "has an unsupported scheme '" + u.scheme.substr(0, 16) + "' (expected http or https)";
        return std::nullopt;
    }
    std::string_view rest = text.substr(colon + 3);
    // RFC 3986: the authority ends at the first '/', '?' or '#', and only
    // the part of it before its last '@' is userinfo, so an '@' in a path,
    // query or fragment ("/accounts/a@b/") is not a password. A '/', '?',
    // '#' or '@' inside a user name or password must be percent-encoded.
    // A proxy URL has no path: there userinfo runs to the last '@' of the
    // whole URL, so a password with a raw '/', '?' or '#' reads as written.
    const auto last_at = rest.rfind('@');
    const auto path_at =
        rules == UrlRules::proxy && last_at != std::string_view::npos ? rest.find_first_of("/?#", last_at) : rest.find_first_of("/?#");
    std::string_view auth = rest.substr(0, path_at);
    std::string_view target = path_at == std::string_view::npos ? std::string_view() : rest.substr(path_at);
    // A password holding a raw '/' ends the authority inside it; its tail
    // then sits before an '@' further on. Errors about the authority quote
    // nothing in that case: what they would quote may be part of a password.
    const bool may_hold_password = target.find('@') != std::string_view::npos;
    if (const auto at = auth.rfind('@'); at != std::string_view::npos) {
        // Nothing before that '@' is ever quoted in an error.
        const std::string_view info = auth.substr(0, at);
        const auto sep = info.find(':');
        u.user = percent_decode(info.substr(0, sep));
        if (sep != std::string_view::npos)
            u.password = percent_decode(info.substr(sep + 1));
        auth = auth.substr(at + 1);
    }
    if (const auto hash = target.find('#'); hash != std::string_view::npos)
        target = target.substr(0, hash);
    u.target = target.empty() ? "/" : (target[0] == '?' ? "/" + std::string(target) : std::string(target));

    std::string_view port;
    if (!auth.empty() && auth[0] == '[') {
        const auto close = auth.find(']');
        if (close == std::string_view::npos) {
            error = "has an unterminated IPv6 address";
            return std::nullopt;
        }
        u.host = ascii_lower(auth.substr(1, close - 1));
        std::string_view after = auth.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') {
                error = "has text after its IPv6 address";
                return std::nullopt;
            }
            port = after.substr(1);
        }
        if (u.host.find_first_not_of("0123456789abcdef:.") != std::string::npos) {
            error = "has an invalid IPv6 address";
            return std::nullopt;
        }
    } else {
        const auto sep = auth.rfind(':');
        u.host = ascii_lower(auth.substr(0, sep));
        if (sep != std::string_view::npos)
            port = auth.substr(sep + 1);
        if (u.host.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-_") != std::string::npos) {
            error = "has an invalid host (letters, digits, '.', '-' and '_' only; an IDN in its xn-- form)";
            return std::nullopt;
        }
    }
    if (u.host.empty()) {
        error = "has no host";
        return std::nullopt;
    }
    u.port = u.https() ? 443 : 80;
    if (!port.empty()) {
        unsigned value = 0;
        const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
        if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || value == 0 || value > 65535) {
            error = may_hold_password
                        ? "has an invalid port (percent-encode any '/', '?', '#' or '@' in a user name or password)"
                        : "has an invalid port '" + std::string(port.substr(0, 8)) + "'";
            return std::nullopt;
        }
        u.port = static_cast<unsigned short>(value);
    }
    return u;
}

std::optional<Url> resolve_location(const Url& base, std::string_view location, std::string& error)
{
    if (!printable_ascii(location, error))
        return std::nullopt;
    if (location.find("://") != std::string_view::npos)
        return parse_url(location, error);
    if (location.substr(0, 2) == "//")
        return parse_url(base.scheme + ":" + std::string(location), error);
    Url u = base;
    u.user.clear();
    u.password.clear();
    if (!location.empty() && location[0] == '/') {
        u.target = std::string(location);
    } else {
        // Relative path: replace the last segment of the base path.
        std::string dir = base.target.substr(0, base.target.find('?'));
        dir = dir.substr(0, dir.rfind('/') + 1);
        u.target = dir + std::string(location);
    }
    return u;
}

} // namespace fwm::http::before
