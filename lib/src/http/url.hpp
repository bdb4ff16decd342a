// Absolute http(s) URLs, as the endpoint, proxies and redirects use them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fwm::http {

struct Url {
    std::string scheme;   // "http" or "https"
    std::string user;     // percent-decoded userinfo, for proxies
    std::string password;
    std::string host;     // without brackets for IPv6 literals, lower case
    unsigned short port = 0;
    std::string target;   // path and query, at least "/"

    bool https() const { return scheme == "https"; }
    bool has_credentials() const { return !user.empty() || !password.empty(); }
    // host[:port] as it goes into a Host header or a CONNECT line.
    std::string authority() const;
    // scheme://authority/target, never with userinfo: safe to print.
    std::string redacted() const;
    bool same_origin(const Url& other) const
    {
        return scheme == other.scheme && host == other.host && port == other.port;
    }
};

// How userinfo is found: RFC 3986 for endpoints (the authority ends at the
// first '/', '?' or '#'); for a proxy URL, which has no path, it runs to
// the last '@', so a proxy password may hold a raw '/', '?' or '#'.
enum class UrlRules { endpoint, proxy };

// Parses an absolute URL; nullopt with `error` set when it is not one. Any
// byte <= 0x20 or >= 0x7f is refused, and the error never quotes userinfo.
std::optional<Url> parse_url(std::string_view text, std::string& error, UrlRules rules = UrlRules::endpoint);

// True when every byte of `text` is printable ASCII (no space); otherwise
// `error` says which one is not.
bool printable_ascii(std::string_view text, std::string& error);

// Resolves a Location header against the URL it came from, as RFC 3986
// §5.2 says (dot segments removed, "?q" keeps the path), with the same
// checks; its fragment and any userinfo are dropped.
std::optional<Url> resolve_location(const Url& base, std::string_view location, std::string& error);

} // namespace fwm::http
