// The collector's pure pieces: URLs, no_proxy, Retry-After, gzip.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#ifndef _WIN32
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http/account_registry.hpp"
#include "http/basic_auth.hpp"
#include "http/gzip.hpp"
#include "http/no_proxy.hpp"
#include "http/retry_after.hpp"
#include "http/tls_context.hpp"
#include "http/url.hpp"
#include "client_support.hpp"
#include "test_server.hpp"

using namespace fwm::http;

BOOST_AUTO_TEST_SUITE(http_units)

BOOST_AUTO_TEST_CASE(parses_urls_with_ports_userinfo_and_ipv6)
{
    std::string e;
    auto u = parse_url("HTTPS://API.Fireworks.ai/v1/accounts/x/metrics?a=1#frag", e);
    BOOST_TEST_REQUIRE(u.has_value());
    BOOST_TEST(u->scheme == "https");
    BOOST_TEST(u->host == "api.fireworks.ai");
    BOOST_TEST(u->port == 443);
    BOOST_TEST(u->target == "/v1/accounts/x/metrics?a=1");
    BOOST_TEST(u->authority() == "api.fireworks.ai");
    auto p = parse_url("http://us%40er:p%3Ass@proxy.local:3128", e);
    BOOST_TEST_REQUIRE(p.has_value());
    BOOST_TEST(p->user == "us@er");
    BOOST_TEST(p->password == "p:ss");
    BOOST_TEST(p->port == 3128);
    BOOST_TEST(p->redacted() == "http://proxy.local:3128/");
    auto v6 = parse_url("https://[::1]:8443/m", e);
    BOOST_TEST_REQUIRE(v6.has_value());
    BOOST_TEST(v6->host == "::1");
    BOOST_TEST(v6->authority() == "[::1]:8443");
    BOOST_TEST(!parse_url("https://host:99999/", e));
    BOOST_TEST(e == "has an invalid port '99999'");
    BOOST_TEST(!parse_url("api.fireworks.ai/metrics", e));
}

BOOST_AUTO_TEST_CASE(an_at_sign_after_the_authority_is_not_userinfo)
{
    std::string e;
    auto path = parse_url("https://host:8443/v1/accounts/a@b/metrics", e);
    BOOST_TEST_REQUIRE(path.has_value(), e);
    BOOST_TEST(path->host == "host");
    BOOST_TEST(path->port == 8443);
    BOOST_TEST(path->target == "/v1/accounts/a@b/metrics");
    BOOST_TEST(!path->has_credentials());
    auto query = parse_url("https://host/x?q=a@b", e);
    BOOST_TEST_REQUIRE(query.has_value(), e);
    BOOST_TEST(query->host == "host");
    BOOST_TEST(query->port == 443);
    BOOST_TEST(query->target == "/x?q=a@b");
    BOOST_TEST(!query->has_credentials());
    auto bare_query = parse_url("http://host:81?who=me@there", e);
    BOOST_TEST_REQUIRE(bare_query.has_value(), e);
    BOOST_TEST(bare_query->host == "host");
    BOOST_TEST(bare_query->port == 81);
    BOOST_TEST(bare_query->target == "/?who=me@there");
    BOOST_TEST(!bare_query->has_credentials());
    auto fragment = parse_url("https://host/m#me@there", e);
    BOOST_TEST_REQUIRE(fragment.has_value(), e);
    BOOST_TEST(fragment->host == "host");
    BOOST_TEST(fragment->target == "/m");
    BOOST_TEST(!fragment->has_credentials());
}

BOOST_AUTO_TEST_CASE(userinfo_is_the_authority_up_to_its_last_at_sign)
{
    std::string e;
    auto plain = parse_url("http://user:secret@proxy.local:3128/a@b", e);
    BOOST_TEST_REQUIRE(plain.has_value(), e);
    BOOST_TEST(plain->has_credentials());
    BOOST_TEST(plain->user == "user");
    BOOST_TEST(plain->password == "secret");
    BOOST_TEST(plain->host == "proxy.local");
    BOOST_TEST(plain->port == 3128);
    BOOST_TEST(plain->target == "/a@b");
    // An '@' inside the password: the last '@' of the authority ends the userinfo.
    auto at_in_password = parse_url("http://user:p@ss@proxy.local:3128", e);
    BOOST_TEST_REQUIRE(at_in_password.has_value(), e);
    BOOST_TEST(at_in_password->user == "user");
    BOOST_TEST(at_in_password->password == "p@ss");
    BOOST_TEST(at_in_password->host == "proxy.local");
    BOOST_TEST(at_in_password->redacted() == "http://proxy.local:3128/");
    auto user_only = parse_url("https://user@host", e);
    BOOST_TEST_REQUIRE(user_only.has_value(), e);
    BOOST_TEST(user_only->has_credentials());
    BOOST_TEST(user_only->host == "host");
    // IPv6 literal with a port, after userinfo and before an '@' in the path.
    auto v6 = parse_url("http://u:p@[FE80::1]:3128/x@y?z=@", e);
    BOOST_TEST_REQUIRE(v6.has_value(), e);
    BOOST_TEST(v6->user == "u");
    BOOST_TEST(v6->host == "fe80::1");
    BOOST_TEST(v6->port == 3128);
    BOOST_TEST(v6->target == "/x@y?z=@");
    BOOST_TEST(v6->authority() == "[fe80::1]:3128");
    // A raw '/' in a password ends the authority early: the error quotes nothing of it.
    BOOST_TEST(!parse_url("http://user:s3cr/et@proxy.local:3128", e));
    // A proxy URL has no path: its userinfo runs to the last '@'.
    auto proxy = parse_url("http://user:s3cr/et@proxy.local:3128", e, fwm::http::UrlRules::proxy);
    BOOST_TEST_REQUIRE(proxy.has_value(), e);
    BOOST_TEST(proxy->password == "s3cr/et");
    BOOST_TEST(proxy->host == "proxy.local");
    BOOST_TEST(proxy->port == 3128);
    BOOST_TEST(e.find("s3cr") == std::string::npos);
    BOOST_TEST(e.find("percent-encode") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(resolves_redirect_locations)
{
    std::string e;
    const Url base = *parse_url("https://h:1/a/b/metrics?x=1", e);
    BOOST_TEST(resolve_location(base, "/other", e)->redacted() == "https://h:1/other");
    BOOST_TEST(resolve_location(base, "next", e)->redacted() == "https://h:1/a/b/next");
    BOOST_TEST(resolve_location(base, "//g:2/p", e)->redacted() == "https://g:2/p");
    BOOST_TEST(resolve_location(base, "http://h:1/x", e)->same_origin(base) == false);
}

BOOST_AUTO_TEST_CASE(no_proxy_matches_hosts_suffixes_star_and_cidrs)
{
    const NoProxy np("api.internal, .corp.example, example.org,10.0.0.0/8 ::1/128 metrics.local:8443");
    BOOST_TEST(np.bypass("api.internal", 443));
    BOOST_TEST(!np.bypass("xapi.internal", 443));
    BOOST_TEST(np.bypass("a.corp.example", 443));
    BOOST_TEST(np.bypass("corp.example", 443));
    BOOST_TEST(np.bypass("example.org", 443));
    BOOST_TEST(np.bypass("deep.sub.example.org", 443));
    BOOST_TEST(!np.bypass("badexample.org", 443));
    BOOST_TEST(np.bypass("10.20.30.40", 443));
    BOOST_TEST(!np.bypass("11.0.0.1", 443));
    BOOST_TEST(np.bypass("::1", 443));
    BOOST_TEST(np.bypass("metrics.local", 8443));
    BOOST_TEST(!np.bypass("metrics.local", 443));
    BOOST_TEST(!np.bypass("api.fireworks.ai", 443));
    BOOST_TEST(NoProxy("*").bypass("anything", 1));
    BOOST_TEST(NoProxy(std::vector<std::string>{"A.Example"}).bypass("a.example", 443));
}

BOOST_AUTO_TEST_CASE(retry_after_in_seconds_and_as_a_date)
{
    const auto now = std::chrono::system_clock::from_time_t(784111777); // Sun, 06 Nov 1994 08:49:37 GMT
    BOOST_TEST(parse_retry_after("120", now)->count() == 120000);
    BOOST_TEST(parse_retry_after(" 0 ", now)->count() == 0);
    BOOST_TEST(parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now)->count() == 60000);
    BOOST_TEST(parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now)->count() == 0);
    BOOST_TEST(parse_retry_after("999999999", now)->count() == 86400000);
    // A date centuries ahead neither overflows nor blocks nothing: a day at most.
    BOOST_TEST(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now)->count() == 86400000);
    BOOST_TEST(!parse_retry_after("99999999999999999999999", now));
    BOOST_TEST(!parse_retry_after("soon", now));
    BOOST_TEST(!parse_retry_after("", now));
    BOOST_TEST(!parse_retry_after("-5", now));
    // The date is read without the C library's locale or strptime (not on Windows).
    BOOST_TEST(parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT").value() == 784111777);
    BOOST_TEST(parse_imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT").value() == 0);
    BOOST_TEST(parse_imf_fixdate("Tue, 29 Feb 2000 12:00:00 GMT").value() == 951825600);
    BOOST_TEST(parse_imf_fixdate("sun, 6 nov 1994 08:49:37 GMT").value() == 784111777); // as strptime read it
    for (const char* bad : {"Sun, 29 Feb 1900 00:00:00 GMT", "Sun, 31 Apr 2020 00:00:00 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                            "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 GMT ", "Sunday, 06-Nov-94 08:49:37 GMT",
                            "Sun Nov  6 08:49:37 1994", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
                            "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 19940 08:49:37 GMT", ""})
        BOOST_TEST(!parse_imf_fixdate(bad), bad);
}

BOOST_AUTO_TEST_CASE(gunzip_inflates_and_caps)
{
    const std::string text = fwm::test::fireworks_payload(10);
    const std::string gz = fwm::test::gzip_compress(text);
    fwm::util::BigString out;
    std::string error;
    BOOST_TEST((gunzip(gz, 1 << 20, out, error) == InflateStatus::ok));
    BOOST_TEST(std::string_view(out) == text);
    out.clear();
    BOOST_TEST((gunzip(gz, text.size() - 1, out, error) == InflateStatus::too_large));
    BOOST_TEST(out.size() <= text.size());
    out.clear();
    BOOST_TEST((gunzip(gz.substr(0, gz.size() / 2), 1 << 20, out, error) == InflateStatus::corrupt));
    BOOST_TEST(error == "compressed body ends early");
    out.clear();
    BOOST_TEST((gunzip("not gzip at all", 1 << 20, out, error) == InflateStatus::corrupt));
    out.clear();
    BOOST_TEST((gunzip(gz + gz, 1 << 20, out, error) == InflateStatus::ok)); // two members
    BOOST_TEST(std::string_view(out) == text + text);
}

BOOST_AUTO_TEST_CASE(gunzip_takes_the_trailer_size_as_a_hint_only)
{
    // The trailer's ISIZE sizes the reservation; a lying one changes nothing
    // in the result, and one past the cap is not an error by itself.
    const std::string text = fwm::test::fireworks_payload(60); // past one 1 MiB inflation chunk
    std::string gz = fwm::test::gzip_compress(text);
    for (const std::uint32_t lie : {0u, 1u, 1000u, 0xffffffffu}) {
        for (int i = 0; i < 4; ++i)
            gz[gz.size() - 4 + static_cast<std::size_t>(i)] = static_cast<char>((lie >> (8 * i)) & 0xff);
        fwm::util::BigString out;
        std::string error;
        // zlib checks ISIZE itself at the end of the member: a wrong one is corrupt data.
        const auto st = gunzip(gz, 64 << 20, out, error);
        BOOST_TEST((st == InflateStatus::corrupt || std::string_view(out) == text), lie);
        BOOST_TEST(out.size() <= text.size() + (1u << 20), lie);
    }
}

BOOST_AUTO_TEST_CASE(gunzip_with_a_true_trailer_fills_one_block_and_never_copies_it)
{
    // The body is as large as the payload: a copy of it, even for the last
    // chunk, would double the collection's peak memory.
    for (const int deployments : {1, 60, 130}) { // under, across and well past 1 MiB chunks
        const std::string text = fwm::test::fireworks_payload(deployments);
        const std::string gz = fwm::test::gzip_compress(text);
        fwm::util::BigString out;
        std::string error;
        BOOST_TEST_REQUIRE((gunzip(gz, 64 << 20, out, error) == InflateStatus::ok));
        BOOST_TEST(std::string_view(out) == text);
        // The reservation (the trailer's size + 1, which libc++ rounds up to
        // its allocation granule), not a block grown to twice the body.
        BOOST_TEST(out.capacity() <= std::max<std::size_t>(text.size(), 64 * 1024) + 64,
                   deployments << " deployments: capacity " << out.capacity() << " for " << text.size());
    }
}

BOOST_AUTO_TEST_CASE(rate_window_counts_a_request_from_its_end)
{
    Account account;
    const auto t0 = Clock::now();
    const auto a = account.admit(2, t0, "k");
    const auto b = account.admit(2, t0 + std::chrono::seconds(1), "k");
    BOOST_TEST((a.verdict == Account::Verdict::send && b.verdict == Account::Verdict::send));
    BOOST_TEST((account.admit(2, t0 + std::chrono::seconds(2), "k").verdict == Account::Verdict::over_limit));
    // The first request ended 5 s after it started: its slot frees at 65 s.
    account.done(a.slot, t0 + std::chrono::seconds(5));
    account.done(b.slot, t0 + std::chrono::seconds(2));
    BOOST_TEST((account.admit(2, t0 + std::chrono::seconds(63), "k").verdict == Account::Verdict::send)); // b's slot
    BOOST_TEST((account.admit(2, t0 + std::chrono::seconds(64), "k").verdict == Account::Verdict::over_limit));
    BOOST_TEST((account.admit(2, t0 + std::chrono::seconds(65), "k").verdict == Account::Verdict::send));
}

BOOST_AUTO_TEST_CASE(a_request_in_flight_at_fork_counts_from_the_fork_in_the_child)
{
    // In the child, the parent's request never ends: without this its slot
    // would be held for good and the account starved.
    Account account;
    const auto t0 = Clock::now();
    BOOST_TEST((account.admit(1, t0, "k").verdict == Account::Verdict::send));
    account.lock();
    account.end_inherited_requests(t0 + std::chrono::seconds(2)); // what the child's fork handler does
    account.unlock();
    BOOST_TEST((account.admit(1, t0 + std::chrono::seconds(61), "k").verdict == Account::Verdict::over_limit));
    BOOST_TEST((account.admit(1, t0 + std::chrono::seconds(62), "k").verdict == Account::Verdict::send));
}

BOOST_AUTO_TEST_CASE(an_unfinished_request_keeps_its_slot)
{
    Account account;
    const auto t0 = Clock::now();
    const auto a = account.admit(1, t0, "k");
    BOOST_TEST((a.verdict == Account::Verdict::send));
    BOOST_TEST((account.admit(1, t0 + std::chrono::seconds(90), "k").verdict == Account::Verdict::over_limit));
    BOOST_TEST(!account.idle(t0 + std::chrono::seconds(90)));
    account.done(a.slot, t0 + std::chrono::seconds(91));
    BOOST_TEST((account.admit(1, t0 + std::chrono::seconds(150), "k").verdict == Account::Verdict::over_limit));
    BOOST_TEST((account.admit(1, t0 + std::chrono::seconds(151), "k").verdict == Account::Verdict::send));
}

// The most requests that fall in any `window` of the sorted times.
std::size_t most_in_a_window(std::vector<Clock::time_point> times, Clock::duration window)
{
    std::sort(times.begin(), times.end());
    std::size_t worst = 0;
    for (std::size_t lo = 0, hi = 0; hi < times.size(); ++hi) {
        while (times[hi] - times[lo] >= window)
            ++lo;
        worst = std::max(worst, hi - lo + 1);
    }
    return worst;
}

BOOST_AUTO_TEST_CASE(four_threads_over_130_driven_seconds_never_exceed_the_window)
{
    // The 60 s window sliding twice, on a clock this test drives (the same
    // run in real time is client_rate_limit's, 65 s under FWM_LONG_TESTS).
    // Four threads ask as fast as they can; each request takes 0 to 3
    // driven seconds; no 60 s holds more than the limit by when requests
    // reached the server (between admission and end), counted either way.
    Account account;
    constexpr unsigned kLimit = 5;
    const auto t0 = Clock::now();
    std::atomic<long> driven_ms{0};
    std::atomic<bool> stop{false};
    std::atomic<unsigned long> reads{0}; // of the driven clock: the workers' progress
    const auto now = [&] {
        ++reads;
        return t0 + std::chrono::milliseconds(driven_ms.load());
    };
    std::mutex mutex;
    std::vector<Clock::time_point> starts, ends;
    std::atomic<unsigned> refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            unsigned seed = static_cast<unsigned>(t) * 2654435761u + 1;
            while (!stop.load()) {
                const auto a = account.admit(kLimit, now(), "k");
                if (a.verdict != Account::Verdict::send) {
                    ++refused;
                    std::this_thread::yield();
                    continue;
                }
                const auto started = now();
                seed = seed * 1103515245u + 12345u;
                const auto until = started + std::chrono::milliseconds((seed >> 8) % 3000);
                while (now() < until && !stop.load())
                    std::this_thread::yield();
                const auto ended = now();
                account.done(a.slot, ended);
                std::lock_guard lock(mutex);
                starts.push_back(started);
                ends.push_back(ended);
            }
        });
    for (long ms = 0; ms <= 130'000; ms += 100) { // 1,300 steps of 100 ms
        driven_ms.store(ms);
        // Each step lasts until the workers have read the clock a few times
        // (and at least 300 us): how long a sleep really takes differs by
        // system (Windows rounds it to its timer), the workers' progress not.
        const unsigned long seen = reads.load();
        const auto step_end = Clock::now() + std::chrono::microseconds(300);
        while ((reads.load() < seen + 8 || Clock::now() < step_end) && Clock::now() < step_end + std::chrono::seconds(1))
            std::this_thread::yield();
    }
    stop.store(true);
    for (auto& t : threads)
        t.join();
    BOOST_TEST_MESSAGE("driven rate window: " << starts.size() << " requests sent, " << refused.load()
                                              << " refused over 130 driven seconds");
    BOOST_TEST(most_in_a_window(starts, Account::kWindow) <= kLimit);
    BOOST_TEST(most_in_a_window(ends, Account::kWindow) <= kLimit);
    BOOST_TEST(starts.size() >= 2 * kLimit); // the window slid: more went out than one window allows
    BOOST_TEST(refused.load() > 0u);
}

namespace {

// POSIX calls rather than <filesystem> where there is POSIX: this suite
// also runs as an aarch64 program under qemu-user.
#ifdef _WIN32
std::string make_dir()
{
    const auto dir = std::filesystem::temp_directory_path() / ("fwm-ca-" + std::to_string(std::random_device()()));
    std::filesystem::create_directory(dir);
    return dir.generic_string();
}
void replace(const std::string& from, const std::string& to)
{
    std::filesystem::rename(from, to); // replaces `to`, as rename(2) does
}
void copy_times(const std::string& from, const std::string& to)
{
    std::filesystem::last_write_time(to, std::filesystem::last_write_time(from));
}
void remove_dir(const std::string& dir)
{
    std::filesystem::remove_all(dir);
}
#else
std::string make_dir()
{
    char pattern[] = "/tmp/fwm-ca-XXXXXX";
    BOOST_TEST_REQUIRE(::mkdtemp(pattern) != nullptr);
    return pattern;
}
void replace(const std::string& from, const std::string& to)
{
    BOOST_TEST_REQUIRE(std::rename(from.c_str(), to.c_str()) == 0);
}
void copy_times(const std::string& from, const std::string& to)
{
    struct stat st{};
    BOOST_TEST_REQUIRE(::stat(from.c_str(), &st) == 0);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    BOOST_TEST_REQUIRE(::utimensat(AT_FDCWD, to.c_str(), times, 0) == 0);
}
void remove_dir(const std::string& dir)
{
    ::rmdir(dir.c_str());
}
#endif

} // namespace

BOOST_AUTO_TEST_CASE(handles_share_a_tls_context_only_while_its_files_are_the_same)
{
    const std::string dir = make_dir(), ca = dir + "/ca.pem";
    const auto write = [](const std::string& to, const std::string& note) {
        std::ifstream in(fwm::test::pki().ca_cert, std::ios::binary);
        std::ofstream out(to, std::ios::binary);
        out << in.rdbuf() << note; // text outside PEM blocks is ignored
    };
    write(ca, "");
    fwm::http::TlsConfig tls;
    tls.ca_cert = ca;
    const auto first = fwm::http::shared_tls_context(tls);
    BOOST_TEST((fwm::http::shared_tls_context(tls) == first)); // the same settings and file: one context
    fwm::http::TlsConfig other = tls;
    other.verify = false;
    BOOST_TEST((fwm::http::shared_tls_context(other) != first));
    // The same content copied in again: still one context.
    write(dir + "/again.pem", "");
    replace(dir + "/again.pem", ca);
    BOOST_TEST((fwm::http::shared_tls_context(tls) == first));
    // Other content of the same size, with the modification time kept (cp -p).
    write(ca, "\n# a\n");
    const auto noted = fwm::http::shared_tls_context(tls);
    BOOST_TEST((noted != first));
    const std::string renewed = dir + "/renewed.pem";
    write(renewed, "\n# b\n");
    copy_times(ca, renewed);
    replace(renewed, ca);
    BOOST_TEST((fwm::http::shared_tls_context(tls) != noted));
    std::remove(ca.c_str());
    remove_dir(dir);
}

// RFC 4648 section 10's vectors cover every padding case; a 4 MiB password
// crosses the encoder's chunk boundary, which must not pad mid-stream.
BOOST_AUTO_TEST_CASE(basic_credentials_are_rfc_4648_base64_of_user_colon_password)
{
    using fwm::http::basic_credentials;
    BOOST_TEST(basic_credentials("", "") == "Basic Og==");
    BOOST_TEST(basic_credentials("f", "") == "Basic Zjo=");
    BOOST_TEST(basic_credentials("fo", "") == "Basic Zm86");
    BOOST_TEST(basic_credentials("foo", "bar") == "Basic Zm9vOmJhcg==");
    BOOST_TEST(basic_credentials("fooba", "r") == "Basic Zm9vYmE6cg==");
    BOOST_TEST(basic_credentials("us\xc3\xa9r", std::string("p\0w\xff", 4)) == "Basic dXPDqXI6cAB3/w==");
    const std::string big(4 * 1024 * 1024, 'a'); // "a:" + big: 4,194,306 bytes, a multiple of 3
    const std::string got = basic_credentials("a", big);
    BOOST_TEST(got.size() == 6 + 4 * (big.size() + 2) / 3);
    BOOST_TEST(got.find('=') == std::string::npos); // so no padding anywhere, mid-stream included
    BOOST_TEST(got.substr(6, 8) == "YTphYWFh");
    BOOST_TEST(got.find_first_not_of("YWFh", 10) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
