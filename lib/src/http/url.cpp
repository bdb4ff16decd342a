#include "http/url.hpp"

#include "util/ascii.hpp"

#include <boost/url/grammar/alnum_chars.hpp>
#include <boost/url/grammar/alpha_chars.hpp>
#include <boost/url/grammar/charset.hpp>
#include <boost/url/grammar/hexdig_chars.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/pct_string_view.hpp>

#include <charconv>

namespace fwm::http {
namespace {

namespace grammar = boost::urls::grammar;
using util::ascii_lower;

constexpr auto kSchemeChars = grammar::lut_chars(grammar::alnum_chars) + "+-.";
// A host name as DNS takes it (an IDN in its xn-- form), after ascii_lower.
constexpr auto kHostChars = grammar::lut_chars(grammar::alnum_chars) + "-._";
const char* const kNotAbsolute = "is not an absolute URL (expected https://host/path)";

bool all_of(std::string_view s, const grammar::lut_chars& chars)
{
    return grammar::find_if_not(s.data(), s.data() + s.size(), chars) == s.data() + s.size();
}

// Userinfo percent-decoded. A '%' that starts no "%XX" escape stays as
// written, as before; Boost.URL decodes only valid text, so such a '%' is
// escaped ("%25") first.
std::string decode_userinfo(std::string_view text)
{
    std::string valid;
    valid.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool stray = text[i] == '%' && !(i + 2 < text.size() && grammar::hexdig_chars(text[i + 1]) &&
                                               grammar::hexdig_chars(text[i + 2]));
        valid += stray ? std::string_view("%25") : text.substr(i, 1);
    }
    return boost::urls::pct_string_view(valid).decode();
}

// An absolute URL cut where this library's rules cut it. RFC 3986: the
// authority ends at the first '/', '?' or '#', and only the part of it
// before its last '@' is userinfo, so an '@' in a path, query or fragment
// ("/accounts/a@b/") is not a password; a '/', '?', '#' or '@' inside a
// user name or password must be percent-encoded. A proxy URL has no path:
// there userinfo runs to the last '@' of the whole URL, so a password with
// a raw '/', '?' or '#' reads as written. Boost.URL knows only RFC 3986's
// rule (1.81 even reads "u:p@ss@h" as the host "ss" and the path "@h"),
// so the cut is made here.
struct Pieces {
    std::string_view userinfo;
    bool has_userinfo = false;
    std::string_view host_port;
    std::string_view rest; // path, query and fragment
    // A password holding a raw '/' ends the authority inside it; its tail
    // then sits before an '@' further on. Errors about the authority quote
    // nothing in that case: what they would quote may be part of a password.
    bool may_hold_password = false;
};

Pieces cut(std::string_view after_scheme, UrlRules rules)
{
    Pieces p;
    const auto last_at = after_scheme.rfind('@');
    const auto path_at = rules == UrlRules::proxy && last_at != std::string_view::npos
                             ? after_scheme.find_first_of("/?#", last_at)
                             : after_scheme.find_first_of("/?#");
    p.host_port = after_scheme.substr(0, path_at);
    p.rest = path_at == std::string_view::npos ? std::string_view() : after_scheme.substr(path_at);
    p.may_hold_password = p.rest.find('@') != std::string_view::npos;
    if (const auto at = p.host_port.rfind('@'); at != std::string_view::npos) {
        p.userinfo = p.host_port.substr(0, at); // never quoted in an error
        p.has_userinfo = true;
        p.host_port = p.host_port.substr(at + 1);
    }
    return p;
}

// "[v6]" or "[v6]:port" into u.host, the port's text into `port`.
bool read_ipv6(std::string_view auth, Url& u, std::string_view& port, std::string& error)
{
    const auto close = auth.find(']');
    if (close == std::string_view::npos) {
        error = "has an unterminated IPv6 address";
        return false;
    }
    u.host = ascii_lower(auth.substr(1, close - 1));
    const std::string_view after = auth.substr(close + 1);
    if (!after.empty()) {
        if (after[0] != ':') {
            error = "has text after its IPv6 address";
            return false;
        }
        port = after.substr(1);
    }
    // Empty is "has no host"; a zone ("%25eth0") or IPvFuture is refused.
    if (!u.host.empty() && !boost::urls::parse_ipv6_address(u.host)) {
        error = "has an invalid IPv6 address";
        return false;
    }
    return true;
}

bool read_port(std::string_view port, const Pieces& p, Url& u, std::string& error)
{
    u.port = u.https() ? 443 : 80;
    if (port.empty())
        return true;
    unsigned value = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
    if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || value == 0 || value > 65535) {
        error = p.may_hold_password
                    ? "has an invalid port (percent-encode any '/', '?', '#' or '@' in a user name or password)"
                    : "has an invalid port '" + std::string(port.substr(0, 8)) + "'";
        return false;
    }
    u.port = static_cast<unsigned short>(value);
    return true;
}

bool read_host_port(const Pieces& p, Url& u, std::string& error)
{
    std::string_view port;
    if (!p.host_port.empty() && p.host_port[0] == '[') {
        if (!read_ipv6(p.host_port, u, port, error))
            return false;
    } else {
        const auto sep = p.host_port.rfind(':');
        u.host = ascii_lower(p.host_port.substr(0, sep));
        if (sep != std::string_view::npos)
            port = p.host_port.substr(sep + 1);
        if (!all_of(u.host, kHostChars)) {
            error = "has an invalid host (letters, digits, '.', '-' and '_' only; an IDN in its xn-- form)";
            return false;
        }
    }
    if (u.host.empty()) {
        error = "has no host";
        return false;
    }
    return read_port(port, p, u, error);
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

std::string Url::authority() const
{
    const bool v6 = host.find(':') != std::string::npos;
    std::string out = v6 ? "[" + host + "]" : host;
    const unsigned short standard = https() ? 443 : 80;
    if (port != standard)
        out += ":" + std::to_string(port);
    return out;
}

std::string Url::redacted() const
{
    return scheme + "://" + authority() + target;
}

std::optional<Url> parse_url(std::string_view text, std::string& error, UrlRules rules)
{
    if (!printable_ascii(text, error))
        return std::nullopt;
    Url u;
    const auto colon = text.find("://");
    if (colon == std::string_view::npos) {
        error = kNotAbsolute;
        return std::nullopt;
    }
    u.scheme = ascii_lower(text.substr(0, colon));
    // What comes before "://" may be a user and password when the scheme was
    // left out: quote it only when it is a scheme's shape.
    if (u.scheme.empty() || u.scheme.size() > 16 || !grammar::alpha_chars(u.scheme[0]) || !all_of(u.scheme, kSchemeChars)) {
        error = kNotAbsolute;
        return std::nullopt;
    }
    if (u.scheme != "http" && u.scheme != "https") {
        error = "has an unsupported scheme '" + u.scheme + "' (expected http or https)";
        return std::nullopt;
    }
    const Pieces p = cut(text.substr(colon + 3), rules);
    if (p.has_userinfo) {
        const auto sep = p.userinfo.find(':');
        u.user = decode_userinfo(p.userinfo.substr(0, sep));
        if (sep != std::string_view::npos)
            u.password = decode_userinfo(p.userinfo.substr(sep + 1));
    }
    if (!read_host_port(p, u, error))
        return std::nullopt;
    // The fragment stays with the client. The path and query are sent as
    // written: Boost.URL would refuse what RFC 3986 does not allow there, but
    // servers take ("?match[]=up"), so it does not read them.
    const std::string_view target = p.rest.substr(0, p.rest.find('#'));
    u.target = target.empty() || target[0] == '?' ? "/" + std::string(target) : std::string(target);
    return u;
}

} // namespace fwm::http
