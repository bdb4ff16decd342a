// URLs: what parse_url keeps of its rules now that Boost.URL reads part of
// them.
#include <boost/test/unit_test.hpp>

#include <string>

#include "http/url.hpp"

using namespace fwm::http;

namespace {

std::string parse_error(const std::string& text, UrlRules rules = UrlRules::endpoint)
{
    std::string e;
    return parse_url(text, e, rules) ? "accepted" : e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(url)

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

BOOST_AUTO_TEST_SUITE_END()
