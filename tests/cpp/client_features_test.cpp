// What a good collection does: headers, gzip, chunked bodies, keep-alive,
// redirects, client certificates, TLS options, configuration errors.
#include <boost/test/unit_test.hpp>

#include <thread>

#include "util/option_error.hpp"
#include "client_support.hpp"
#include "http/config.hpp"

using namespace fwm::test;
using fwm::http::Client;

namespace {

std::string config_error(const std::string& json)
{
    try {
        Client c = make_client(json);
    } catch (const fwm::util::OptionError& e) {
        BOOST_TEST(std::string(e.what()).find(kSecretKey) == std::string::npos);
        return e.what();
    }
    return "<accepted>";
}

} // namespace

BOOST_AUTO_TEST_SUITE(client_features)

BOOST_AUTO_TEST_CASE(sends_bearer_key_user_agent_accept_and_gzip)
{
    TestServer server({true, pki().server});
    Client client = make_client(client_json(server.url()));
    const auto got = client.collect();
    check_ok(got);
    const auto log = server.requests();
    BOOST_TEST_REQUIRE(log.size() == 1u);
    BOOST_TEST(log[0].method == "GET");
    BOOST_TEST(log[0].target == "/v1/accounts/acme/metrics");
    BOOST_TEST(log[0].authorization == std::string("Bearer ") + kSecretKey);
    BOOST_TEST(log[0].user_agent == std::string("datadog-fireworks-check/") + FWM_VERSION_STRING + " (libfwm)");
    BOOST_TEST(log[0].accept.rfind("text/plain;version=0.0.4", 0) == 0u);
    BOOST_TEST(log[0].accept.find("application/openmetrics-text") != std::string::npos);
    BOOST_TEST(log[0].accept_encoding == "gzip");
    BOOST_TEST(log[0].host == "localhost:" + std::to_string(server.port()));
    BOOST_TEST(std::string_view(got.payload->body) == fireworks_payload(2));
    BOOST_TEST(got.info.encoding == "identity");
    BOOST_TEST(got.payload->content_type.rfind("text/plain", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(gzip_body_is_inflated)
{
    Reply r = metrics_reply(30);
    r.gzip = true;
    TestServer server({true, pki().server}, [r](const RequestRecord&, std::size_t) { return r; });
    Client client = make_client(client_json(server.url()));
    const auto got = client.collect();
    check_ok(got);
    BOOST_TEST(got.info.encoding == "gzip");
    BOOST_TEST(std::string_view(got.payload->body) == fireworks_payload(30));
    BOOST_TEST(got.info.wire_bytes < got.info.body_bytes / 4);
}

BOOST_AUTO_TEST_CASE(chunked_body_is_read)
{
    Reply r = metrics_reply(7);
    r.chunked = true;
    TestServer server({true, pki().server}, [r](const RequestRecord&, std::size_t) { return r; });
    Client client = make_client(client_json(server.url()));
    const auto got = client.collect();
    check_ok(got);
    BOOST_TEST(std::string_view(got.payload->body) == fireworks_payload(7));
}

BOOST_AUTO_TEST_CASE(keep_alive_connection_is_reused_between_collections)
{
    TestServer server({true, pki().server});
    Client client = make_client(client_json(server.url()));
    check_ok(client.collect());
    const auto second = client.collect();
    check_ok(second);
    BOOST_TEST(second.info.connection_reused);
    BOOST_TEST(server.connections() == 1u);
    BOOST_TEST(server.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(reconnects_when_the_server_closed_the_kept_connection)
{
    Reply r = metrics_reply();
    r.close_after = true; // promises keep-alive, closes anyway
    TestServer server({true, pki().server}, [r](const RequestRecord&, std::size_t) { return r; });
    Client client = make_client(client_json(server.url()));
    check_ok(client.collect());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto second = client.collect();
    check_ok(second);
    BOOST_TEST(second.info.attempts == 1u);
    BOOST_TEST(server.connections() == 2u);
    BOOST_TEST(server.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(connection_close_response_opens_a_new_connection_next_time)
{
    Reply r = metrics_reply();
    r.keep_alive = false;
    TestServer server({true, pki().server}, [r](const RequestRecord&, std::size_t) { return r; });
    Client client = make_client(client_json(server.url()));
    check_ok(client.collect());
    const auto second = client.collect();
    check_ok(second);
    BOOST_TEST(!second.info.connection_reused);
    BOOST_TEST(server.connections() == 2u);
}

BOOST_AUTO_TEST_CASE(same_origin_redirect_is_followed)
{
    TestServer server({true, pki().server}, [](const RequestRecord& req, std::size_t) {
        if (req.target == "/old") {
            Reply r;
            r.status = 307;
            r.headers.emplace_back("Location", "/v1/accounts/acme/metrics");
            return r;
        }
        return metrics_reply();
    });
    Client client = make_client(client_json(server.url("/old")));
    const auto got = client.collect();
    check_ok(got);
    const auto log = server.requests();
    BOOST_TEST_REQUIRE(log.size() == 2u);
    BOOST_TEST(log[1].target == "/v1/accounts/acme/metrics");
    BOOST_TEST(log[1].authorization == std::string("Bearer ") + kSecretKey);
}

// RFC 3986 §5.2: dot segments go, "?q" keeps the path, and a fragment is
// never sent.
BOOST_AUTO_TEST_CASE(relative_redirects_resolve_as_rfc3986_says)
{
    TestServer server({true, pki().server}, [](const RequestRecord& req, std::size_t) {
        Reply r;
        r.status = 302;
        if (req.target == "/v1/accounts/acme/old/metrics?x=1")
            r.headers.emplace_back("Location", "../../acme/./new/../metrics?page=1#frag");
        else if (req.target == "/v1/accounts/acme/metrics?page=1")
            r.headers.emplace_back("Location", "?page=2#frag");
        else
            return metrics_reply();
        return r;
    });
    Client client = make_client(client_json(server.url("/v1/accounts/acme/old/metrics?x=1")));
    check_ok(client.collect());
    const auto log = server.requests();
    BOOST_TEST_REQUIRE(log.size() == 3u);
    BOOST_TEST(log[1].target == "/v1/accounts/acme/metrics?page=1");
    BOOST_TEST(log[2].target == "/v1/accounts/acme/metrics?page=2");
}

BOOST_AUTO_TEST_CASE(redirect_to_another_host_is_not_followed_with_the_key)
{
    TestServer other({true, pki().server});
    TestServer server({true, pki().server}, [&other](const RequestRecord&, std::size_t) {
        Reply r;
        r.status = 302;
        r.headers.emplace_back("Location", other.url("/steal", "127.0.0.1"));
        return r;
    });
    Client client = make_client(client_json(server.url(), "\"max_attempts\":1"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_REDIRECT, "redirects to another host (https://127.0.0.1:" + std::to_string(other.port()) +
                                           "); not following it with the API key", 10);
    BOOST_TEST(other.requests().empty());
}

BOOST_AUTO_TEST_CASE(redirect_loop_stops)
{
    TestServer server({true, pki().server}, [](const RequestRecord&, std::size_t) {
        Reply r;
        r.status = 302;
        r.headers.emplace_back("Location", "/again");
        return r;
    });
    Client client = make_client(client_json(server.url()));
    check_failure(timed_collect(client), FWM_ERR_REDIRECT, "more than 3 redirects", 10);
    BOOST_TEST(server.requests().size() == 4u);
}

BOOST_AUTO_TEST_CASE(client_certificate_is_presented)
{
    TestServer server({true, pki().server, pki().ca_cert});
    Client without = make_client(client_json(server.url(), "\"timeout\":2,\"max_attempts\":1"));
    BOOST_TEST(without.collect().info.status != FWM_OK);
    Client with = make_client(client_json(server.url(), "\"tls_cert\":\"" + pki().client.cert +
                                                            "\",\"tls_private_key\":\"" + pki().client.key + "\""));
    check_ok(with.collect());
}

BOOST_AUTO_TEST_CASE(tls_verify_false_accepts_an_untrusted_certificate)
{
    TestServer server({true, pki().untrusted});
    Client client = make_client(client_json(server.url(), "\"tls_verify\":false"));
    check_ok(client.collect());
}

BOOST_AUTO_TEST_CASE(tls_validate_hostname_false_accepts_another_name)
{
    TestServer server({true, pki().wrong_host});
    Client client = make_client(client_json(server.url(), "\"tls_validate_hostname\":false"));
    check_ok(client.collect());
}

BOOST_AUTO_TEST_CASE(ip_address_endpoint_verifies_the_ip_san)
{
    TestServer server({true, pki().server});
    Client client = make_client(client_json(server.url("/metrics", "127.0.0.1")));
    check_ok(client.collect());
}

BOOST_AUTO_TEST_CASE(config_errors_name_the_option)
{
    BOOST_TEST(config_error("{\"account_id\":\"a\"}") == "option 'api_key' is required");
    BOOST_TEST(config_error(std::string("{\"api_key\":\"") + kSecretKey + "\"}") ==
               "option 'account_id' is required (or set openmetrics_endpoint)");
    BOOST_TEST(config_error(std::string("{\"api_key\":\"") + kSecretKey + "\",\"account_id\":\"a/b\"}") ==
               "option 'account_id' may hold only letters, digits, '-', '_' and '.'");
    BOOST_TEST(config_error(client_json("https://x/", "\"timeout\":0")) ==
               "option 'timeout' must be between 0.001 and 3600, not 0");
    BOOST_TEST(config_error(client_json("https://x/", "\"max_requests_per_minute\":7")) ==
               "option 'max_requests_per_minute' must be between 1 and 6, not 7");
    BOOST_TEST(config_error(client_json("ftp://x/")) ==
               "option 'openmetrics_endpoint' has an unsupported scheme 'ftp' (expected http or https)");
    BOOST_TEST(config_error(client_json("https://x/", "\"tls_ca_cert\":\"/nonexistent.pem\"")) ==
               "option 'tls_ca_cert' names a file that cannot be read: /nonexistent.pem");
    BOOST_TEST(config_error(client_json("https://x/", "\"proxy\":{\"https\":\"https://p:1\"}")).rfind(
                   "option 'proxy.https' uses https://", 0) == 0u);
    BOOST_TEST(config_error(client_json("https://x/", "\"proxy\":{\"ftp\":\"x\"}")) ==
               "option 'proxy.ftp' is unknown (expected http, https or no_proxy)");
    BOOST_TEST(config_error(client_json("https://x/", "\"colour\":1")) == "unknown option 'colour'");
    BOOST_TEST(config_error(std::string("{\"api_key\":\"") + kSecretKey + "\\n\",\"account_id\":\"a\"}") ==
               "option 'api_key' contains a control character (a pasted newline?)");
    BOOST_TEST(config_error(client_json("https://x/", "\"tls_private_key\":\"" + pki().client.key + "\"")) ==
               "option 'tls_private_key' needs tls_cert");
}

BOOST_AUTO_TEST_CASE(default_endpoint_comes_from_account_id)
{
    const auto c = fwm::http::read_client_config(
        (std::string("{\"api_key\":\"") + kSecretKey + "\",\"account_id\":\"my-team\"}").c_str());
    BOOST_TEST(c.endpoint.redacted() == "https://api.fireworks.ai/v1/accounts/my-team/metrics");
    BOOST_TEST(c.timeout.count() == 10000);
    BOOST_TEST(c.read_timeout.count() == 10000);
    BOOST_TEST(c.max_requests_per_minute == 5u);
    BOOST_TEST(c.max_response_bytes == 128u << 20);
}

BOOST_AUTO_TEST_SUITE_END()
