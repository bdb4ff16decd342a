// The fault matrix: each way the endpoint can fail, against a real local TLS
// server. Every case asserts the status, the message, the time taken
// (bounded by the configured timeout plus a margin), that the key does not
// leak, and that the next collection succeeds.
#include <boost/test/unit_test.hpp>

#include <ctime>
#include <thread>

#include "client_support.hpp"

using namespace fwm::test;
using fwm::http::Client;

namespace {

constexpr double kMargin = 1.0; // seconds over the configured timeout

// Serves `fault` to the first request, good metrics afterwards.
TestServer::Handler first_then_ok(Reply fault)
{
    return [fault](const RequestRecord&, std::size_t index) { return index == 0 ? fault : metrics_reply(); };
}

Reply status_reply(unsigned status)
{
    Reply r;
    r.status = status;
    r.body = "{\"error\":\"nope\"}";
    return r;
}

// One fault case: collect (expecting the failure), then collect again.
void fault_case(Reply fault, int status, const std::string& part, double timeout_s = 2.0, std::string extra = "")
{
    TestServer server({true, pki().server}, first_then_ok(std::move(fault)));
    char buf[64];
    std::snprintf(buf, sizeof buf, "\"timeout\":%g,\"max_attempts\":1", timeout_s);
    Client client = make_client(client_json(server.url(), extra.empty() ? buf : std::string(buf) + "," + extra));
    const Timed t = timed_collect(client);
    check_failure(t, status, part, timeout_s + kMargin);
    check_ok(client.collect());
}

} // namespace

BOOST_AUTO_TEST_SUITE(client_faults)

BOOST_AUTO_TEST_CASE(http_401_names_api_key_and_is_not_retried)
{
    TestServer server({true, pki().server}, first_then_ok(status_reply(401)));
    Client client = make_client(client_json(server.url()));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_HTTP_UNAUTHORIZED, ": check api_key", 10 + kMargin);
    BOOST_TEST(t.got.info.attempts == 1u);
    BOOST_TEST(t.got.info.http_status == 401u);
    check_ok(client.collect());
}

BOOST_AUTO_TEST_CASE(http_403_names_account_and_key)
{
    fault_case(status_reply(403), FWM_ERR_HTTP_FORBIDDEN, "may not read this account: check api_key and account_id");
}

BOOST_AUTO_TEST_CASE(http_404_names_account_id_and_endpoint)
{
    fault_case(status_reply(404), FWM_ERR_HTTP_NOT_FOUND, "check account_id and openmetrics_endpoint");
}

BOOST_AUTO_TEST_CASE(http_500_is_retried_then_reported)
{
    // Three failures, then success: the first collection gives up after its
    // attempts, the next one succeeds.
    TestServer server({true, pki().server}, [](const RequestRecord&, std::size_t i) {
        return i < 3 ? status_reply(500) : metrics_reply();
    });
    Client client = make_client(client_json(server.url(), "\"timeout\":8,\"max_attempts\":3"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_HTTP_SERVER, "HTTP 500 from localhost:" + std::to_string(server.port()), 8 + kMargin);
    BOOST_TEST(t.got.info.attempts == 3u);
    BOOST_TEST(t.got.info.message.find("(3 attempts)") != std::string::npos);
    check_ok(client.collect());
}

BOOST_AUTO_TEST_CASE(http_503_then_success_is_retried_within_one_collection)
{
    TestServer server({true, pki().server}, [](const RequestRecord&, std::size_t i) {
        return i == 0 ? status_reply(503) : metrics_reply();
    });
    Client client = make_client(client_json(server.url(), "\"timeout\":8"));
    const auto got = client.collect();
    check_ok(got);
    BOOST_TEST(got.info.attempts == 2u);
}

BOOST_AUTO_TEST_CASE(retries_stop_inside_the_timeout_budget)
{
    TestServer server({true, pki().server}, [](const RequestRecord&, std::size_t) { return status_reply(503); });
    Client client = make_client(client_json(server.url(), "\"timeout\":0.5,\"max_attempts\":10"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_HTTP_SERVER, "HTTP 503", 0.5 + kMargin);
}

BOOST_AUTO_TEST_CASE(connection_closed_mid_body)
{
    Reply r = metrics_reply(20);
    r.mode = Reply::Mode::close_mid_body;
    fault_case(r, FWM_ERR_NETWORK, "closed while reading the response body");
}

BOOST_AUTO_TEST_CASE(slow_drip_times_out_within_the_budget)
{
    Reply r = metrics_reply(5);
    r.mode = Reply::Mode::drip;
    r.drip_interval = std::chrono::milliseconds(50);
    fault_case(r, FWM_ERR_TIMEOUT, "timed out after", 1.5);
}

BOOST_AUTO_TEST_CASE(server_that_never_answers_times_out)
{
    Reply r;
    r.mode = Reply::Mode::never;
    fault_case(r, FWM_ERR_TIMEOUT, "while waiting for the response from localhost", 1.5);
}

BOOST_AUTO_TEST_CASE(read_timeout_bounds_one_silent_read)
{
    Reply r;
    r.mode = Reply::Mode::never;
    TestServer server({true, pki().server}, first_then_ok(r));
    Client client = make_client(client_json(server.url(), "\"timeout\":5,\"read_timeout\":0.5,\"max_attempts\":1"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_TIMEOUT, "timed out after", 0.5 + kMargin);
    check_ok(client.collect());
}

BOOST_AUTO_TEST_CASE(truncated_chunked_body)
{
    Reply r = metrics_reply(10);
    r.mode = Reply::Mode::truncated_chunked;
    fault_case(r, FWM_ERR_NETWORK, "closed while reading the response body");
}

BOOST_AUTO_TEST_CASE(body_over_the_limit)
{
    fault_case(metrics_reply(200), FWM_ERR_RESPONSE_TOO_LARGE, "the response is larger than max_response_bytes", 2.0,
               "\"max_response_bytes\":65536");
}

BOOST_AUTO_TEST_CASE(gzip_bomb_is_an_error_not_an_allocation)
{
    Reply r;
    r.headers.emplace_back("Content-Type", "text/plain");
    r.body = std::string(64u << 20, 'a'); // 64 MiB of 'a' gzip to about 64 KiB
    r.gzip = true;
    TestServer server({true, pki().server}, first_then_ok(r));
    Client client = make_client(client_json(server.url(), "\"max_response_bytes\":1048576,\"max_attempts\":1"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_RESPONSE_TOO_LARGE, "inflates past max_response_bytes (1048576 bytes)", 10 + kMargin);
    BOOST_TEST(t.got.info.wire_bytes < 1048576u);
    check_ok(client.collect());
}

BOOST_AUTO_TEST_CASE(garbage_instead_of_http)
{
    Reply r;
    r.mode = Reply::Mode::garbage;
    fault_case(r, FWM_ERR_PROTOCOL, "not valid HTTP (bad version): check that openmetrics_endpoint is the metrics URL");
}

BOOST_AUTO_TEST_CASE(expired_certificate)
{
    TestServer server({true, pki().expired});
    Client client = make_client(client_json(server.url(), "\"timeout\":2"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_TLS, "certificate verify failed (certificate has expired)", 2 + kMargin);
    BOOST_TEST(t.got.info.attempts == 1u);
}

BOOST_AUTO_TEST_CASE(certificate_for_the_wrong_host)
{
    TestServer server({true, pki().wrong_host});
    Client client = make_client(client_json(server.url(), "\"timeout\":2"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_TLS, "certificate verify failed (hostname mismatch)", 2 + kMargin);
}

BOOST_AUTO_TEST_CASE(certificate_from_an_untrusted_ca)
{
    TestServer server({true, pki().untrusted});
    Client client = make_client(client_json(server.url(), "\"timeout\":2"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_TLS, "certificate verify failed (", 2 + kMargin);
    BOOST_TEST(t.got.info.message.find("check tls_ca_cert") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(nothing_listening_is_connection_refused)
{
    const unsigned short port = free_port();
    Client client = make_client(client_json("https://127.0.0.1:" + std::to_string(port) + "/metrics",
                                            "\"timeout\":2,\"max_attempts\":1"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_CONNECT, "connection refused", 2 + kMargin);
}

BOOST_AUTO_TEST_CASE(plain_http_server_behind_an_https_url)
{
    TestServer server(TestServer::Options(false));
    Client client = make_client(client_json("https://localhost:" + std::to_string(server.port()) + "/metrics",
                                            "\"timeout\":2,\"max_attempts\":1"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_TLS, "tls handshake with localhost:" + std::to_string(server.port()) + " failed (", 2 + kMargin);
    BOOST_TEST(t.got.info.message.find("check that the endpoint speaks HTTPS") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(http_429_with_delay_seconds_blocks_the_account)
{
    Reply r = status_reply(429);
    r.headers.emplace_back("Retry-After", "2");
    TestServer server({true, pki().server}, first_then_ok(r));
    Client client = make_client(client_json(server.url()));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_RATE_LIMITED, "not asking again for 2 s (Retry-After)", 10 + kMargin);
    BOOST_TEST(t.got.info.retry_after_s == 2.0);
    // Within the block nothing is sent, and nothing fresh is cached.
    const Timed blocked = timed_collect(client);
    check_failure(blocked, FWM_ERR_RATE_LIMITED, "(HTTP 429): not asking again for", 0.5);
    BOOST_TEST(blocked.got.info.attempts == 0u);
    BOOST_TEST(server.requests().size() == 1u);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    check_ok(client.collect());
    BOOST_TEST(server.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(http_429_with_http_date_blocks_the_account)
{
    const std::time_t when = std::time(nullptr) + 3;
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&when));
    Reply r = status_reply(429);
    r.headers.emplace_back("Retry-After", date);
    TestServer server({true, pki().server}, first_then_ok(r));
    Client client = make_client(client_json(server.url()));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_RATE_LIMITED, "(Retry-After)", 10 + kMargin);
    BOOST_TEST(t.got.info.retry_after_s > 1.0);
    BOOST_TEST(t.got.info.retry_after_s <= 3.0);
    BOOST_TEST(timed_collect(client).got.info.attempts == 0u);
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(t.got.info.retry_after_s * 1000) + 100));
    check_ok(client.collect());
}

BOOST_AUTO_TEST_CASE(http_429_serves_the_last_good_response_while_fresh)
{
    Reply limited = status_reply(429);
    limited.headers.emplace_back("Retry-After", "30");
    TestServer server({true, pki().server}, [limited](const RequestRecord&, std::size_t i) {
        return i == 0 ? metrics_reply(3) : limited;
    });
    Client client = make_client(client_json(server.url()));
    const auto first = client.collect();
    check_ok(first);
    const auto second = client.collect();
    check_ok(second);
    BOOST_TEST(second.info.from_cache);
    BOOST_TEST(second.info.rate_limited);
    BOOST_TEST(std::string_view(second.payload->body) == std::string_view(first.payload->body));
    const auto third = client.collect(); // blocked: not even asked
    BOOST_TEST(third.info.from_cache);
    BOOST_TEST(third.info.attempts == 0u);
    BOOST_TEST(server.requests().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
