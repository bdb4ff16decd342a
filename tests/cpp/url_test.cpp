// URLs: what parse_url keeps of its rules now that Boost.URL reads part of
// them, Location references resolved by RFC 3986 §5.2, hostile Locations,
// and the REST API's request targets.
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include "fleet/api_target.hpp"
#include "http/url.hpp"
#include "support/old_percent_encode.hpp"

using fwm::test::old_percent_encode;

using namespace fwm::http;

namespace {

// What a Location resolves to, printed, or "refused: <error>".
std::string resolved(const Url& base, const std::string& location)
{
    std::string e;
    const auto u = resolve_location(base, location, e);
    return u ? u->redacted() : "refused: " + e;
}

std::string parse_error(const std::string& text, UrlRules rules = UrlRules::endpoint)
{
    std::string e;
    return parse_url(text, e, rules) ? "accepted" : e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(url)

// RFC 3986 §5.4.1, on its own base (an http URL): fragments are dropped,
// "g:h" is no http(s) URL, and "//g" gets the target "/".
BOOST_AUTO_TEST_CASE(rfc3986_normal_examples)
{
    std::string e;
    const Url base = *parse_url("http://a/b/c/d;p?q", e);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"g:h", "refused: is not an absolute URL (expected https://host/path)"},
        {"g", "http://a/b/c/g"},           {"./g", "http://a/b/c/g"},      {"g/", "http://a/b/c/g/"},
        {"/g", "http://a/g"},              {"//g", "http://g/"},           {"?y", "http://a/b/c/d;p?y"},
        {"g?y", "http://a/b/c/g?y"},       {"#s", "http://a/b/c/d;p?q"},   {"g#s", "http://a/b/c/g"},
        {"g?y#s", "http://a/b/c/g?y"},     {";x", "http://a/b/c/;x"},      {"g;x", "http://a/b/c/g;x"},
        {"g;x?y#s", "http://a/b/c/g;x?y"}, {"", "http://a/b/c/d;p?q"},     {".", "http://a/b/c/"},
        {"./", "http://a/b/c/"},           {"..", "http://a/b/"},          {"../", "http://a/b/"},
        {"../g", "http://a/b/g"},          {"../..", "http://a/"},         {"../../", "http://a/"},
        {"../../g", "http://a/g"},
    };
    for (const auto& [ref, want] : cases) {
        const std::string got = resolved(base, ref);
        BOOST_TEST(got == want, "\"" << ref << "\" gave " << got);
    }
}

// RFC 3986 §5.4.2: never above the root, dots inside names are names, and
// what follows '?' or '#' is not a path.
BOOST_AUTO_TEST_CASE(rfc3986_abnormal_examples)
{
    std::string e;
    const Url base = *parse_url("http://a/b/c/d;p?q", e);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"../../../g", "http://a/g"},         {"../../../../g", "http://a/g"},      {"/./g", "http://a/g"},
        {"/../g", "http://a/g"},              {"g.", "http://a/b/c/g."},            {".g", "http://a/b/c/.g"},
        {"g..", "http://a/b/c/g.."},          {"..g", "http://a/b/c/..g"},          {"./../g", "http://a/b/g"},
        {"./g/.", "http://a/b/c/g/"},         {"g/./h", "http://a/b/c/g/h"},        {"g/../h", "http://a/b/c/h"},
        {"g;x=1/./y", "http://a/b/c/g;x=1/y"}, {"g;x=1/../y", "http://a/b/c/y"},   {"g?y/./x", "http://a/b/c/g?y/./x"},
        {"g?y/../x", "http://a/b/c/g?y/../x"}, {"g#s/./x", "http://a/b/c/g"},      {"g#s/../x", "http://a/b/c/g"},
        {"http:g", "refused: is not an absolute URL (expected https://host/path)"},
    };
    for (const auto& [ref, want] : cases) {
        const std::string got = resolved(base, ref);
        BOOST_TEST(got == want, "\"" << ref << "\" gave " << got);
    }
}

BOOST_AUTO_TEST_CASE(absolute_and_network_path_references)
{
    std::string e;
    const Url base = *parse_url("https://h:1/a/b/metrics?x=1", e);
    // Dot segments go from an absolute reference's path too, never from a query.
    BOOST_TEST(resolved(base, "https://h:1/a/../../m/./n?p=/../q#f") == "https://h:1/m/n?p=/../q");
    BOOST_TEST(resolved(base, "//other/x/../y#frag") == "https://other/y");
    BOOST_TEST(!resolve_location(base, "//other/x", e)->same_origin(base));
    BOOST_TEST(resolved(base, "//h:1") == "https://h:1/");
    // A "://" in a query is no scheme: the reference is relative.
    BOOST_TEST(resolved(base, "/go?to=http://x/y") == "https://h:1/go?to=http://x/y");
    BOOST_TEST(resolved(base, "next?to=a:b") == "https://h:1/a/b/next?to=a:b");
    // An escape is kept as written, and "%2E%2E" is no dot segment.
    BOOST_TEST(resolved(base, "/v1/a%2Fb/c") == "https://h:1/v1/a%2Fb/c");
    BOOST_TEST(resolved(base, "/v1/a%2fb/../c") == "https://h:1/v1/c");
    BOOST_TEST(resolved(base, "/v1/%2E%2E/c") == "https://h:1/v1/%2E%2E/c");
}

BOOST_AUTO_TEST_CASE(a_changed_scheme_or_userinfo_in_a_location)
{
    std::string e;
    const Url base = *parse_url("https://h:1/m", e);
    // https to http: another origin, which the client does not follow.
    const auto down = resolve_location(base, "http://h:1/m", e);
    BOOST_TEST_REQUIRE(down.has_value(), e);
    BOOST_TEST(down->scheme == "http");
    BOOST_TEST(!down->same_origin(base));
    BOOST_TEST(resolved(base, "ftp://h:1/m") == "refused: has an unsupported scheme 'ftp' (expected http or https)");
    BOOST_TEST(resolved(base, "HTTPS://H:1/m") == "https://h:1/m");
    // Userinfo is dropped, and a broken one is never quoted.
    const auto with_user = resolve_location(base, "https://user:s3cret@h:1/n", e);
    BOOST_TEST_REQUIRE(with_user.has_value(), e);
    BOOST_TEST(!with_user->has_credentials());
    BOOST_TEST(with_user->same_origin(base));
    for (const std::string bad : {"https://user:s3cr/et@h:99999/n", "//user:s3cr/et@h:x/n", "https://us3r:s3cr@[::1"}) {
        BOOST_TEST(!resolve_location(base, bad, e), bad);
        BOOST_TEST(e.find("s3cr") == std::string::npos, e);
    }
}

BOOST_AUTO_TEST_CASE(hostile_locations)
{
    std::string e;
    const Url base = *parse_url("https://h/a/b", e);
    BOOST_TEST(resolved(base, "/x\r\nSet-Cookie: a=b") == "refused: contains a space or a control character at position 3");
    BOOST_TEST(resolved(base, "/x y") == "refused: contains a space or a control character at position 3");
    BOOST_TEST(resolved(base, "/\xc3\xa9") == "refused: contains a byte that is not ASCII (percent-encode it) at position 2");
    BOOST_TEST(resolved(base, std::string("/a\0b", 4)) == "refused: contains a space or a control character at position 3");
    // What RFC 3986 does not allow in a path or query, but servers take, is
    // followed as written, as before.
    BOOST_TEST(resolved(base, "x|y?q={\"a\"}^`<>[]\\") == "https://h/a/x|y?q={\"a\"}^`<>[]\\");
    BOOST_TEST(resolved(base, "%zz/%4/%") == "https://h/a/%zz/%4/%");
    BOOST_TEST(resolved(base, "/federate?match[]=up") == "https://h/federate?match[]=up");
    // A megabyte of climbing, and of segments: linear, never above the root.
    std::string climb;
    for (int i = 0; i < 350000; ++i)
        climb += "../";
    BOOST_TEST(resolved(base, climb + "g") == "https://h/g");
    std::string deep;
    for (int i = 0; i < 500000; ++i)
        deep += "s/";
    const auto distant = resolve_location(base, deep + std::string(20000, '.') + "/..", e); // not `far`: a Windows macro
    BOOST_TEST_REQUIRE(distant.has_value(), e);
    BOOST_TEST(distant->target == "/a/" + deep);
    BOOST_TEST(resolved(base, std::string(1 << 20, '/')) == "refused: has no host");
}

BOOST_AUTO_TEST_CASE(parse_url_keeps_its_errors_and_reads_ipv6_with_boost)
{
    BOOST_TEST(parse_error("https://[::1") == "has an unterminated IPv6 address");
    BOOST_TEST(parse_error("https://[::1]x/") == "has text after its IPv6 address");
    BOOST_TEST(parse_error("https://[1:2:3]/") == "has an invalid IPv6 address");
    BOOST_TEST(parse_error("https://[v1.fe]/") == "has an invalid IPv6 address");
    BOOST_TEST(parse_error("https://[fe80::1%25eth0]/") == "has an invalid IPv6 address");
    BOOST_TEST(parse_error("https://[]/") == "has no host");
    BOOST_TEST(parse_error("https:///x") == "has no host");
    BOOST_TEST(parse_error("https://h~x/") ==
               "has an invalid host (letters, digits, '.', '-' and '_' only; an IDN in its xn-- form)");
    BOOST_TEST(parse_error("https://h%41/") ==
               "has an invalid host (letters, digits, '.', '-' and '_' only; an IDN in its xn-- form)");
    BOOST_TEST(parse_error("https://h:0/") == "has an invalid port '0'");
    BOOST_TEST(parse_error("https://h:12345678901/") == "has an invalid port '12345678'");
    BOOST_TEST(parse_error("https://h:-1/") == "has an invalid port '-1'");
    BOOST_TEST(parse_error("1https://h/") == "is not an absolute URL (expected https://host/path)");
    BOOST_TEST(parse_error("https:/h/") == "is not an absolute URL (expected https://host/path)");
    BOOST_TEST(parse_error("averyveryverylongscheme://h/") == "is not an absolute URL (expected https://host/path)");
    std::string e;
    const auto v6 = parse_url("https://[::FFFF:1.2.3.4]:8443", e);
    BOOST_TEST_REQUIRE(v6.has_value(), e);
    BOOST_TEST(v6->host == "::ffff:1.2.3.4");
    BOOST_TEST(v6->authority() == "[::ffff:1.2.3.4]:8443");
    const auto empty_port = parse_url("http://h:/m?", e);
    BOOST_TEST_REQUIRE(empty_port.has_value(), e);
    BOOST_TEST(empty_port->port == 80);
    BOOST_TEST(empty_port->target == "/m?");
}

BOOST_AUTO_TEST_CASE(parse_url_decodes_userinfo_and_keeps_its_target_as_written)
{
    std::string e;
    // A '%' that starts no escape stays as written, as before.
    const auto p = parse_url("http://u%zz%41:p%2%40%@proxy:1", e, UrlRules::proxy);
    BOOST_TEST_REQUIRE(p.has_value(), e);
    BOOST_TEST(p->user == "u%zzA");
    BOOST_TEST(p->password == "p%2@%");
    const auto plus = parse_url("http://a+b:c+d%2B@proxy:1", e, UrlRules::proxy);
    BOOST_TEST_REQUIRE(plus.has_value(), e);
    BOOST_TEST(plus->user == "a+b");
    BOOST_TEST(plus->password == "c+d+");
    // The path and query are sent as written, escapes and all.
    const auto t = parse_url("https://h/a%2fb|c/../d?q=a%20b^{}&match[]=up%", e);
    BOOST_TEST_REQUIRE(t.has_value(), e);
    BOOST_TEST(t->target == "/a%2fb|c/../d?q=a%20b^{}&match[]=up%");
    const auto q = parse_url("https://h?a=/b?c:d@e!$&'()*+,;=", e);
    BOOST_TEST_REQUIRE(q.has_value(), e);
    BOOST_TEST(q->target == "/?a=/b?c:d@e!$&'()*+,;=");
}

// The REST API's targets are what concatenation gave before, for any value.
BOOST_AUTO_TEST_CASE(api_targets_encode_every_value_by_one_rule)
{
    using fwm::fleet::ApiTarget;
    std::string every_byte;
    for (int c = 0; c < 256; ++c)
        every_byte += static_cast<char>(c);
    for (const std::string& value : {std::string("p2+/=="), std::string("a&b=c#d?e%f g"), std::string(),
                                    std::string("2026-12-01T00:00:00Z"), std::string("\xc3\xa9~._-"), every_byte}) {
        const std::string a = "acc-1_x.y";
        BOOST_TEST(ApiTarget(a).path("deployments").param("pageSize", "200").param("pageToken", value).str() ==
                   "/v1/accounts/" + a + "/deployments?pageSize=200&pageToken=" + old_percent_encode(value));
        BOOST_TEST(ApiTarget(a).path("deployments").segment(value).path("terminationMessage").str() ==
                   "/v1/accounts/" + a + "/deployments/" + old_percent_encode(value) + "/terminationMessage");
        BOOST_TEST(ApiTarget(a).path("billing").path("summary").param("startTime", value).param("endTime", value).str() ==
                   "/v1/accounts/" + a + "/billing/summary?startTime=" + old_percent_encode(value) +
                       "&endTime=" + old_percent_encode(value));
    }
    BOOST_TEST(ApiTarget("acme").str() == "/v1/accounts/acme");
    BOOST_TEST(ApiTarget("acme").path("usageCosts:query").str() == "/v1/accounts/acme/usageCosts:query");
    // "." and ".." are unreserved, but as whole segments a server reads them
    // as dot segments (another path): they go escaped.
    BOOST_TEST(ApiTarget("..").path("quotas").str() == "/v1/accounts/%2E%2E/quotas");
    BOOST_TEST(ApiTarget("a").path("deployments").segment(".").str() == "/v1/accounts/a/deployments/%2E");
    BOOST_TEST(ApiTarget("a").path("deployments").segment("...").str() == "/v1/accounts/a/deployments/...");
}

BOOST_AUTO_TEST_SUITE_END()
