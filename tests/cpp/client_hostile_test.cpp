// What a hostile or broken server (or proxy) can send, against a real
// local TLS server: floods of chunk extensions and trailers, interim
// responses, control bytes and invalid UTF-8 in headers, a reason phrase or
// a redirect, a huge Retry-After; and what must never be shared: a cached
// response served to another key or URL, a cache kept after its handles.
#include <boost/test/unit_test.hpp>

#ifndef _WIN32
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <thread>

#include "client_support.hpp"
#include "http/account_registry.hpp"
#include "http/exchange.hpp"
#include "http/url.hpp"
#include "util/option_error.hpp"
#include "util/status.hpp"

using namespace fwm::test;
using fwm::http::Client;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

Reply raw(std::string bytes, bool keep_alive = true)
{
    Reply r;
    r.mode = Reply::Mode::raw;
    r.body = std::move(bytes);
    r.keep_alive = keep_alive;
    return r;
}

Reply flood(std::string head, std::string piece, std::size_t bytes)
{
    Reply r;
    r.mode = Reply::Mode::flood;
    r.body = std::move(head);
    r.flood_piece = std::move(piece);
    r.flood_bytes = bytes;
    return r;
}

std::string ok_head(const std::string& body, const std::string& extra = "")
{
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + extra + "\r\n";
}

// One collection against a server that sends `reply` first, with the
// peak memory seen while it ran.
struct Flooded {
    Timed t;
    std::size_t growth_kib = 0;
};

Flooded collect_flood(Reply reply, double timeout_s, std::size_t max_response_bytes)
{
    TestServer server({true, pki().server}, [reply](const RequestRecord&, std::size_t i) {
        return i == 0 ? reply : metrics_reply();
    });
    Client client = make_client(client_json(server.url(), "\"timeout\":" + std::to_string(timeout_s) +
                                                              ",\"max_attempts\":1,\"max_response_bytes\":" +
                                                              std::to_string(max_response_bytes)));
    Flooded f;
    {
        PeakRss rss;
        f.t = timed_collect(client);
        f.growth_kib = rss.peak_kib() - rss.baseline_kib();
    }
    check_ok(client.collect()); // and the next collection works
    BOOST_TEST_MESSAGE("flood: " << fwm::util::status_name(f.t.got.info.status) << " in " << f.t.seconds
                                  << " s, peak RSS +" << static_cast<double>(f.growth_kib) / 1024.0
                                 << " MiB with max_response_bytes " << static_cast<double>(max_response_bytes) / kMiB
                                 << " MiB: " << f.t.got.info.message);
    return f;
}

// The memory a flood may add while it is refused: the bounded receive
// buffer, a body up to max_response_bytes, and the allocator's slack (a
// sanitizer's shadow memory included).
constexpr std::size_t kFloodBoundKib = 48 * 1024;

std::string key_json(const std::string& url, const std::string& key, const std::string& account, unsigned limit,
                     const std::string& extra = "")
{
    return "{\"openmetrics_endpoint\":\"" + url + "\",\"api_key\":\"" + key + "\",\"account_id\":\"" + account +
           "\",\"tls_ca_cert\":\"" + pki().ca_cert + "\",\"max_requests_per_minute\":" + std::to_string(limit) +
           ",\"max_attempts\":1" + (extra.empty() ? "" : "," + extra) + "}";
}

} // namespace

BOOST_AUTO_TEST_SUITE(client_hostile)

BOOST_AUTO_TEST_CASE(chunk_extension_flood_stays_within_the_receive_buffer)
{
    // One chunk header that never ends: 400 MiB offered, 1 MiB allowed.
    const auto f = collect_flood(
        flood("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=", std::string(64 * 1024, 'a'), 400 * kMiB),
        10, kMiB);
    check_failure(f.t, FWM_ERR_PROTOCOL, "chunk extensions or trailers are larger than 64 KiB", 10 + 1.0);
    BOOST_TEST(f.growth_kib < kFloodBoundKib);
}

BOOST_AUTO_TEST_CASE(trailer_flood_stays_within_the_receive_buffer)
{
    const auto f = collect_flood(flood("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
                                       "X-Trailer: " + std::string(1000, 'b') + "\r\n", 400 * kMiB),
                                 10, kMiB);
    check_failure(f.t, FWM_ERR_PROTOCOL, "chunk extensions or trailers are larger than 64 KiB", 10 + 1.0);
    BOOST_TEST(f.growth_kib < kFloodBoundKib);
}

BOOST_AUTO_TEST_CASE(many_chunks_with_long_extensions_stop_at_the_wire_limit)
{
    // Each chunk is legal on its own (a 1-byte body behind a 60 KB
    // extension): the body stays tiny, the bytes on the wire do not.
    const auto f = collect_flood(flood("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                                       "1;e=" + std::string(60000, 'c') + "\r\nX\r\n", 400 * kMiB),
                                 10, kMiB);
    check_failure(f.t, FWM_ERR_RESPONSE_TOO_LARGE, "bytes on the wire", 10 + 1.0);
    BOOST_TEST(f.t.got.info.message.find(std::to_string(fwm::http::wire_limit(kMiB))) != std::string::npos);
    BOOST_TEST(f.growth_kib < kFloodBoundKib);
}

BOOST_AUTO_TEST_CASE(interim_responses_are_skipped_and_keep_the_connection_in_step)
{
    const std::string first = "first_payload 1\n", second = "second_payload 2\n";
    TestServer server({true, pki().server}, [&](const RequestRecord&, std::size_t i) {
        if (i == 0)
            return raw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" +
                       ok_head(first) + first);
        Reply r = metrics_reply();
        r.body = second;
        return r;
    });
    Client client = make_client(client_json(server.url()));
    const auto a = client.collect();
    check_ok(a);
    BOOST_TEST(std::string_view(a.payload->body) == first);
    const auto b = client.collect();
    check_ok(b);
    BOOST_TEST(std::string_view(b.payload->body) == second); // not the previous scrape's data
    BOOST_TEST(server.connections() == 1u);
    BOOST_TEST(b.info.connection_reused);
}

BOOST_AUTO_TEST_CASE(an_unasked_response_on_the_kept_connection_is_never_taken_for_the_next)
{
    const std::string unasked = "UNSOLICITED 666\n";
    TestServer server({true, pki().server}, [&](const RequestRecord&, std::size_t i) {
        Reply r = metrics_reply();
        r.body = i == 0 ? "first_payload 1\n" : "second_payload 2\n";
        if (i == 0) {
            r.late = ok_head(unasked) + unasked;
            r.late_delay = std::chrono::milliseconds(50);
        }
        return r;
    });
    Client client = make_client(client_json(server.url()));
    check_ok(client.collect());
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // the unasked answer has arrived
    const auto b = client.collect();
    check_ok(b);
    BOOST_TEST(std::string_view(b.payload->body) == "second_payload 2\n");
    BOOST_TEST(!b.info.connection_reused);
    BOOST_TEST(server.connections() == 2u);
}

BOOST_AUTO_TEST_CASE(endless_interim_responses_are_a_protocol_error)
{
    std::string many;
    for (int i = 0; i < 20; ++i)
        many += "HTTP/1.1 100 Continue\r\n\r\n";
    TestServer server({true, pki().server}, [&](const RequestRecord&, std::size_t i) {
        return i == 0 ? raw(many + ok_head("x 1\n") + "x 1\n") : metrics_reply();
    });
    Client client = make_client(client_json(server.url(), "\"max_attempts\":1"));
    check_failure(timed_collect(client), FWM_ERR_PROTOCOL, "interim (1xx) responses", 10 + 1.0);
    check_ok(client.collect());
}

BOOST_AUTO_TEST_CASE(location_with_a_space_or_non_ascii_byte_is_refused_before_any_request)
{
    for (const std::string location : {"/v1/metrics HTTP/1.0\tX", "/v1/m\xff\xfe", "/v1/x y"}) {
        TestServer server({true, pki().server}, [&](const RequestRecord&, std::size_t i) {
            return i == 0 ? raw("HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 0\r\n\r\n")
                          : metrics_reply();
        });
        Client client = make_client(client_json(server.url(), "\"max_attempts\":1"));
        const Timed t = timed_collect(client);
        check_failure(t, FWM_ERR_REDIRECT, "with a Location that contains", 10 + 1.0);
        BOOST_TEST(server.requests().size() == 1u); // nothing was sent to the redirect target
    }
}

BOOST_AUTO_TEST_CASE(control_bytes_in_urls_are_refused_naming_the_option)
{
    const std::string base = "{\"api_key\":\"k\",\"account_id\":\"a\",";
    for (const std::string bad : {"https://localhost/x\\r\\nHost: evil", "https://localhost/x y",
                                  "https://localhost/\\u00e9", "https://local\\u0000host/"}) {
        try {
            Client c = make_client(base + "\"openmetrics_endpoint\":\"" + bad + "\"}");
            BOOST_ERROR("accepted " << bad);
        } catch (const fwm::util::OptionError& e) {
            const std::string m = e.what();
            BOOST_TEST(m.rfind("option 'openmetrics_endpoint' contains", 0) == 0u, m);
            BOOST_TEST(clean_message(m));
        }
    }
    try {
        Client c = make_client(base + "\"proxy\":{\"https\":\"http://proxy.internal\\n:3128\"}}");
        BOOST_ERROR("accepted a proxy URL with a newline");
    } catch (const fwm::util::OptionError& e) {
        BOOST_TEST(std::string(e.what()).rfind("option 'proxy.https' contains a space or a control character", 0) == 0u,
                   e.what());
    }
}

BOOST_AUTO_TEST_CASE(proxy_password_with_slash_hash_and_question_mark)
{
    std::string error;
    const auto u = fwm::http::parse_url("http://user:S3CR/T0P#Q9Z?x@127.0.0.1:3128", error, fwm::http::UrlRules::proxy);
    BOOST_TEST_REQUIRE(u.has_value(), error);
    BOOST_TEST(u->user == "user");
    BOOST_TEST(u->password == "S3CR/T0P#Q9Z?x");
    BOOST_TEST(u->host == "127.0.0.1");
    BOOST_TEST(u->port == 3128);
    BOOST_TEST(u->target == "/");
    // A mistake after the userinfo never echoes a piece of the password.
    for (const std::string bad : {"http://user:S3CR/T0P#Q9Z?x@127.0.0.1:99999", "http://user:S3CR/T0P#Q9Z?x@",
                                  "http://user:S3CR/T0P#Q9Z?x@bad host:1", "us3r:S3CR://T0P@127.0.0.1:3128",
                                  "S3CR:T0P:Q9Z://@127.0.0.1"}) {
        try {
            Client c = make_client("{\"api_key\":\"k\",\"account_id\":\"a\",\"proxy\":{\"https\":\"" + bad + "\"}}");
            BOOST_ERROR("accepted " << bad);
        } catch (const fwm::util::OptionError& e) {
            const std::string m = e.what();
            for (const char* fragment : {"S3CR", "T0P", "Q9Z", "s3cr", "t0p", "q9z"})
                BOOST_TEST(m.find(fragment) == std::string::npos, m);
        }
    }
}

BOOST_AUTO_TEST_CASE(proxy_password_with_slash_hash_and_question_mark_reaches_the_proxy_intact)
{
    // tinyproxy's BasicAuth takes only [-a-z0-9._]: a plain-HTTP server in
    // the proxy's place records what the client sends, then refuses.
    TestServer proxy({false}, [](const RequestRecord&, std::size_t) {
        Reply r;
        r.status = 407;
        r.keep_alive = false;
        return r;
    });
    Client client = make_client(client_json(
        "https://localhost:9/v1/accounts/acme/metrics",
        "\"max_attempts\":1,\"proxy\":{\"https\":\"http://fwuser:pa/ss#?w0rd@127.0.0.1:" + std::to_string(proxy.port()) +
            "\"}"));
    check_failure(timed_collect(client), FWM_ERR_PROXY, "check the user and password in the proxy URL", 10 + 1.0);
    const auto log = proxy.requests();
    BOOST_TEST_REQUIRE(log.size() == 1u);
    BOOST_TEST(log[0].method == "CONNECT");
    BOOST_TEST(log[0].proxy_authorization == "Basic Znd1c2VyOnBhL3NzIz93MHJk"); // base64("fwuser:pa/ss#?w0rd")
}

BOOST_AUTO_TEST_CASE(invalid_utf8_and_control_bytes_from_the_server_give_clean_text)
{
    // A Content-Encoding the check does not decode and a Content-Type, both
    // with bytes that are not UTF-8 (Beast refuses control bytes in headers).
    TestServer server({true, pki().server}, [](const RequestRecord&, std::size_t i) {
        return i == 0 ? raw("HTTP/1.1 200 OK\r\nContent-Encoding: \xff\xfe\x80zip\r\nContent-Length: 4\r\n\r\nabcd")
                      : raw(ok_head("x 1\n", "Content-Type: text/plain\xc3(\r\n") + "x 1\n");
    });
    Client client = make_client(client_json(server.url(), "\"max_attempts\":1"));
    const Timed t = timed_collect(client);
    check_failure(t, FWM_ERR_PROTOCOL, "uses Content-Encoding '\\xff\\xfe\\x80zip'", 10 + 1.0);
    const auto got = client.collect();
    check_ok(got);
    BOOST_TEST(clean_message(got.info.content_type), got.info.content_type);
}

BOOST_AUTO_TEST_CASE(a_proxy_reason_phrase_of_any_bytes_gives_clean_text)
{
    // A plain-HTTP server in the proxy's place, refusing the tunnel with a
    // reason phrase that is not UTF-8.
    TestServer proxy({false}, [](const RequestRecord&, std::size_t) {
        Reply r;
        r.status = 407;
        r.reason = "Pr\xff\xfexy";
        r.keep_alive = false;
        return r;
    });
    Client client = make_client(client_json(
        "https://localhost:9/v1/accounts/acme/metrics",
        "\"max_attempts\":1,\"proxy\":{\"https\":\"http://127.0.0.1:" + std::to_string(proxy.port()) + "\"}"));
    check_failure(timed_collect(client), FWM_ERR_PROXY, "with HTTP 407 Pr\\xff\\xfexy", 10 + 1.0);
}

BOOST_AUTO_TEST_CASE(cache_is_served_only_for_the_same_endpoint_and_key)
{
    TestServer server({true, pki().server}, [](const RequestRecord& r, std::size_t) {
        if (r.authorization != "Bearer good-key") {
            Reply no;
            no.status = 401;
            return no;
        }
        return metrics_reply();
    });
    const std::string account = unique_account();
    Client good = make_client(key_json(server.url(), "good-key", account, 1));
    check_ok(good.collect()); // the account's one request this minute
    // Over the limit, another key is not served the good key's response...
    Client wrong = make_client(key_json(server.url(), "revoked-key", account, 1));
    const auto w = wrong.collect();
    BOOST_TEST(fwm::util::status_name(w.info.status) == "FWM_ERR_RATE_LIMITED", w.info.message);
    BOOST_TEST(!w.info.from_cache);
    BOOST_TEST(!w.payload);
    // ...nor is the same key on another path...
    Client other_path = make_client(key_json(server.url("/v1/accounts/acme/other"), "good-key", account, 1));
    const auto o = other_path.collect();
    BOOST_TEST(fwm::util::status_name(o.info.status) == "FWM_ERR_RATE_LIMITED", o.info.message);
    BOOST_TEST(!o.info.from_cache);
    // ...nor a handle that checks less of the TLS peer, or takes smaller answers...
    for (const char* extra : {"\"tls_verify\":false", "\"max_response_bytes\":1024"}) {
        Client other = make_client(key_json(server.url(), "good-key", account, 1, extra));
        const auto x = other.collect();
        BOOST_TEST(fwm::util::status_name(x.info.status) == "FWM_ERR_RATE_LIMITED", extra << ": " << x.info.message);
        BOOST_TEST(!x.info.from_cache);
    }
    // ...while the same endpoint and key are.
    Client twin = make_client(key_json(server.url(), "good-key", account, 1));
    const auto t = twin.collect();
    check_ok(t);
    BOOST_TEST(t.info.from_cache);
    // And under the limit the wrong key meets the server's 401.
    Client wrong2 = make_client(key_json(server.url(), "revoked-key", unique_account(), 6));
    BOOST_TEST(fwm::util::status_name(wrong2.collect().info.status) == "FWM_ERR_HTTP_UNAUTHORIZED");
}

BOOST_AUTO_TEST_CASE(account_cache_is_dropped_with_the_last_handle)
{
    TestServer server({true, pki().server});
    const std::string json = client_json(server.url());
    std::shared_ptr<fwm::http::Account> account;
    {
        Client client = make_client(json);
        check_ok(client.collect());
        account = fwm::http::account_for(client.config().account_key());
        BOOST_TEST(account->cached_bytes() == fireworks_payload(2).size());
    }
    // The state goes when the I/O thread has let go of it: soon, not at once.
    for (int i = 0; i < 200 && account->cached_bytes() != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(account->cached_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(huge_retry_after_is_capped_by_max_retry_after)
{
    TestServer server({true, pki().server}, [](const RequestRecord&, std::size_t i) {
        Reply r;
        if (i == 0) {
            r.status = 429;
            r.headers.emplace_back("Retry-After", "99999999");
            return r;
        }
        return metrics_reply();
    });
    Client by_default = make_client(client_json(server.url()));
    const auto d = by_default.collect();
    BOOST_TEST(d.info.retry_after_s == 600.0);
    BOOST_TEST(d.info.message.find("not asking again for 600 s (Retry-After, capped by max_retry_after)") !=
               std::string::npos, d.info.message);

    TestServer again({true, pki().server}, [](const RequestRecord&, std::size_t i) {
        Reply r;
        if (i == 0) {
            r.status = 429;
            r.headers.emplace_back("Retry-After", "86400");
            return r;
        }
        return metrics_reply();
    });
    Client short_cap = make_client(client_json(again.url(), "\"max_retry_after\":1"));
    const auto s = short_cap.collect();
    BOOST_TEST(s.info.retry_after_s == 1.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    check_ok(short_cap.collect()); // asked again after the cap, not after a day
    BOOST_TEST(again.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_limit_stopping_a_redirect_is_rate_limited_not_internal)
{
    TestServer server({true, pki().server}, [](const RequestRecord& r, std::size_t) {
        if (r.target == "/m") {
            Reply moved;
            moved.status = 301;
            moved.headers.emplace_back("Location", "/m/");
            return moved;
        }
        return metrics_reply();
    });
    for (const char* refresh : {"30", "0.001"}) {
        Client client = make_client(client_json(server.url("/m"), std::string("\"max_requests_per_minute\":3,") +
                                                                      "\"refresh_period\":" + refresh));
        check_ok(client.collect()); // two requests: /m and /m/
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // past the short refresh period
        const auto second = client.collect(); // one slot left: /m, then the redirect meets the limit
        if (std::string(refresh) == "30") {
            check_ok(second);
            BOOST_TEST(second.info.from_cache);
        } else {
            BOOST_TEST(std::string(fwm::util::status_name(second.info.status)) == "FWM_ERR_RATE_LIMITED");
            BOOST_TEST(second.info.message.find("rate limited") != std::string::npos, second.info.message);
        }
    }
}

#ifndef _WIN32 // no fork() on Windows
BOOST_AUTO_TEST_CASE(a_child_of_fork_collects_with_a_new_client)
{
#if defined(__SANITIZE_THREAD__)
    // ThreadSanitizer cannot start threads in the child of a multi-threaded
    // fork(); the release and AddressSanitizer builds run this.
    BOOST_TEST_MESSAGE("skipped under ThreadSanitizer");
    return;
#endif
    TestServer server({true, pki().server});
    Client parent = make_client(client_json(server.url()));
    check_ok(parent.collect());
    const std::string json = client_json(server.url());
    const pid_t pid = ::fork();
    if (pid == 0) {
        // No Boost.Test in the child: the exit code says how it went.
        int code = 1;
        try {
            Client fresh = make_client(json);
            const auto got = fresh.collect();
            code = got.info.status == FWM_OK && got.payload ? 0 : 2;
        } catch (...) {
            code = 3;
        }
        ::_exit(code);
    }
    BOOST_TEST_REQUIRE(pid > 0);
    BOOST_TEST(wait_child(pid, std::chrono::seconds(20)) == 0); // -1: it hung
    check_ok(parent.collect());
}
#endif

BOOST_AUTO_TEST_SUITE_END()
