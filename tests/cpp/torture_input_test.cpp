// Inputs nobody writes tests for, through the C ABI: names and label values
// of 10 KB to 2 MB under every filter option, bytes that are not UTF-8 and
// newlines wherever a payload can put them, and a resolver that answers
// slowly or not at all.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "abi_support.hpp"
#include "client_support.hpp"
#ifndef _WIN32
#include "slow_resolver.hpp"
#endif

using namespace fwm::test;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kLabels = "base_model=\"accounts/fireworks/models/m\",deployment_id=\"d1\",deployment=\"x\"";

// A Fireworks-like payload around one line with an over-long token.
std::string payload_with(const std::string& odd_line)
{
    return "request_counter_total:sum_by_deployment{" + kLabels + "} 1\n" + odd_line + "\n" +
           "latency_overall_ms_bucket:sum_by_deployment{" + kLabels + ",le=\"10\"} 1\n" +
           "latency_overall_ms_bucket:sum_by_deployment{" + kLabels + ",le=\"+Inf\"} 2\n";
}

// Every filter option, with patterns users write and one that backtracks
// without end on a long subject.
const std::vector<std::string> kFilterOptions = {
    "{}",
    R"({"metrics":["request_counter_total",".*_bucket"]})",
    R"({"exclude_metrics":[".*_bucket","(a+)+b"]})",
    R"({"deployments":{"include":[".*-canary","d.*"]}})",
    R"({"deployments":{"exclude":[".*-canary","(x|xx)*y"]}})",
    R"({"exclude_labels":["deployment","le"]})",
    // Renamed labels and a widened allow list meet the same megabyte names and values.
    R"({"rename_labels":{"replica":"pod","le":"bound","zone":"a_megabyte_value_keeps_this_name"},"exclude_labels":["zone"]})",
    R"({"metrics":["request_counter_total"],"extra_metrics":[".*_bucket","(a+)+b"]})",
};

#ifndef _WIN32 // the resolver is interposed on the C library's getaddrinfo (see slow_resolver.cpp)
// The library's lookups must reach this test's resolver before any made-up
// name is looked up: otherwise such a name would go to the system's. Proven
// with a real name.
void require_test_resolver(TestServer& server)
{
    const unsigned before = resolver_calls();
    fwm_client* c = nullptr;
    BOOST_TEST_REQUIRE(fwm_client_create(abi_config(server.url(), 5, unique_account()).c_str(), &c) == FWM_OK);
    const Outcome o = collect(c);
    fwm_client_free(c);
    BOOST_TEST_REQUIRE(o.status == FWM_OK, o.message);
    BOOST_TEST_REQUIRE(resolver_calls() > before, "the library's getaddrinfo() calls do not reach the test's resolver");
}
#endif

unsigned field_of(const std::string& summary, const std::string& key)
{
    const auto at = summary.find("\"" + key + "\":");
    return at == std::string::npos ? 0u : static_cast<unsigned>(std::stoul(summary.substr(at + key.size() + 3)));
}

} // namespace

namespace {

// The REST answer a request asks for.
enum class Rest { deployments, usage, account, quotas, costs, billing, termination };

Rest rest_of(const std::string& target)
{
    if (target.find("/billingUsage") != std::string::npos)
        return Rest::usage;
    if (target.find("/terminationMessage") != std::string::npos)
        return Rest::termination;
    if (target.find("/deployments") != std::string::npos)
        return Rest::deployments;
    if (target.find("/quotas") != std::string::npos)
        return Rest::quotas;
    if (target.find("/usageCosts") != std::string::npos)
        return Rest::costs;
    if (target.find("/billing/summary") != std::string::npos)
        return Rest::billing;
    return Rest::account;
}

// Hostile answers of the REST APIs: valid answers with bytes flipped,
// megabyte strings, deep nesting, invalid UTF-8 and escapes, CR/LF,
// numbers of every kind where counts and money belong, and answers that
// are not JSON.
std::string hostile_rest_body(std::mt19937_64& rng, Rest kind)
{
    static const std::string kPage =
        R"({"deployments": [{"name": "accounts/a/deployments/d1", "displayName": "D1", "state": "FAILED",
        "replicaCount": "2", "desiredReplicaCount": 3, "acceleratorType": "NVIDIA_H100_80GB", "acceleratorCount": 8,
        "region": "US_IOWA_1", "annotations": {"team": "x"}, "replicaStats": {"readyReplicaCount": 1}}], "nextPageToken": ""})";
    static const std::string kUsage =
        R"({"dedicatedCosts": [{"deploymentId": "d1", "acceleratorType": "A", "acceleratorSeconds": "10"}],
        "serverlessCosts": [{"modelName": "m", "promptTokens": "18446744073709551615", "completionTokens": "1"}]})";
    static const std::string kAccount = R"({"state": "READY", "suspendState": "CREDIT_DEPLETED", "status": {"code": "OK"}})";
    static const std::string kQuotas =
        R"({"quotas": [{"name": "accounts/a/quotas/h100-us-iowa-1", "value": "8", "maxValue": 16, "usage": "6"},
        {"name": "accounts/a/quotas/monthly-spend-usd", "value": "1000", "usage": 900.5}], "nextPageToken": ""})";
    static const std::string kCosts =
        R"({"rows": [{"dimensions": {"model": "m", "apiKeyId": "k"}, "subtotal": {"currencyCode": "USD", "units": "9223372036854775807", "nanos": 999999999}},
        {"dimensions": {"model": "m2"}, "subtotal": {"units": -3, "nanos": -5}}], "subtotal": {"units": "1"}, "evaluationTime": "2026-12-07T00:00:00Z"})";
    static const std::string kBilling =
        R"({"lineItems": [{"category": "dedicated", "groupingValue": "NVIDIA_H100_80GB", "unitAmount": {"units": "5", "nanos": 800000000},
        "totalCost": {"units": "58"}, "quantity": "10"}]})";
    const std::string* base[] = {&kPage, &kUsage, &kAccount, &kQuotas, &kCosts, &kBilling, &kAccount};
    std::string s = *base[static_cast<int>(kind)];
    const std::string big(1 << 20, 'n');
    switch (rng() % 7) {
    case 0:
        for (int i = 0; i < 8; ++i)
            s[rng() % s.size()] = static_cast<char>(rng() % 256);
        return s;
    case 1:
        switch (kind) {
        case Rest::usage:
            return R"({"serverlessCosts": [{"modelName": ")" + big + R"(", "promptTokens": "1"}]})";
        case Rest::deployments:
            return R"({"deployments": [{"name": "accounts/a/deployments/)" + big + R"("}, {"name": "x/d2", "displayName": ")" +
                   big + "\xff\"}]}";
        case Rest::quotas:
            return R"({"quotas": [{"name": ")" + big + R"(", "value": "1"}], "nextPageToken": ")" + big + "\"}";
        case Rest::costs:
            return R"({"rows": [{"dimensions": {"model": ")" + big + R"("}, "subtotal": {"currencyCode": ")" + big + "\"}}]}";
        default:
            return R"({"message": ")" + big + "\xff\", \"state\": \"" + big + "\", \"lineItems\": [{\"category\": \"" + big + "\"}]}";
        }
    case 2:
        return R"({"deployments": [{"name": "a/d", "x": )" + std::string(200000, '[') + "]}";
    case 3:
        return R"({"deployments": [{"name": "a/d\r\nSet-Cookie: x", "displayName": "\u001b[31m\u202e\r\n"}],
                   "quotas": [{"name": "q\r\n", "value": "\u0000"}], "suspendState": "\u202eX\r\n",
                   "nextPageToken": "\u0000"})";
    case 4:
        switch (kind) {
        case Rest::usage:
            return R"({"dedicatedCosts": [{"deploymentId": "d", "acceleratorSeconds": -1e308},
                       {"deploymentId": "d", "acceleratorSeconds": "1e400"}, {"deploymentId": "d", "acceleratorSeconds": NaN}]})";
        case Rest::quotas:
            return R"({"quotas": [{"name": "a/q/h100-us-iowa-1", "value": 1e400, "maxValue": "-1e400", "usage": "NaN"},
                       {"name": "a/q/monthly-spend-usd", "value": "0", "usage": -0.0}]})";
        case Rest::costs:
        case Rest::billing:
            return R"({"rows": [{"subtotal": {"units": 1e30, "nanos": 1e10}}, {"subtotal": {"units": "-9223372036854775808"}}],
                       "lineItems": [{"totalCost": {"units": "99999999999999999999"}, "unitAmount": {"nanos": -1}}]})";
        default:
            return R"({"deployments": [{"name": "a/d", "replicaCount": 1e400, "desiredReplicaCount": "-0",
                       "acceleratorCount": 18446744073709551616}]})";
        }
    case 5:
        return "<html><body>502 Bad Gateway</body></html>";
    default:
        return std::string(rng() % 64, '\x00');
    }
}

double rest_torture_seconds()
{
    const char* env = std::getenv("FWM_TORTURE_SECONDS");
    return std::max(2.0, (env ? std::atof(env) : 20.0) / 4);
}

} // namespace


BOOST_AUTO_TEST_SUITE(torture_input)

BOOST_AUTO_TEST_CASE(names_and_label_values_of_megabytes_under_every_filter)
{
    for (const std::size_t n : {10u * 1024, 100u * 1024, 2u * 1024 * 1024}) {
        const std::string big(n, 'a'), big_dash = std::string(n, 'x') + "-canary";
        const std::vector<std::string> lines = {
            big + "_bucket:sum_by_deployment{" + kLabels + ",le=\"1\"} 1",            // metric name
            "request_counter_total:sum_by_deployment{deployment_id=\"" + big_dash + "\"} 1", // label value
            "request_counter_total:sum_by_deployment{" + big + "=\"v\"} 1",            // label name
            "{\"" + big + "\"} 1",                                                       // quoted UTF-8 name
            "# HELP \"" + big + "\" help",                                               // HELP of a long name
        };
        for (const auto& line : lines)
            for (const auto& filters : kFilterOptions) {
                const Outcome o = parse(payload_with(line), "{\"mapping\":" + filters + "}");
                BOOST_TEST(o.status == FWM_OK, o.message);
                check_sane(o);
                BOOST_TEST(field_of(o.summary, "invalid_lines") == 1u, "n=" << n << " " << filters);
                // The good lines around the bad one are still mapped.
                const bool kept = o.submissions.find("fireworks.requests.rate") != std::string::npos;
                BOOST_TEST((kept || filters.find("include") != std::string::npos), filters);
            }
    }
}

BOOST_AUTO_TEST_CASE(a_megabyte_label_value_through_a_collection)
{
    const std::string value = std::string(2 * 1024 * 1024, 'q') + "-canary";
    TestServer server({true, pki().server}, [&](const RequestRecord&, std::size_t) {
        Reply r = metrics_reply(2);
        r.body += "request_counter_total:sum_by_deployment{deployment_id=\"" + value + "\"} 1\n";
        r.gzip = true;
        return r;
    });
    fwm_client* c = nullptr;
    BOOST_TEST_REQUIRE(fwm_client_create(abi_config(server.url(), 10, unique_account(),
                                                    R"("mapping":{"deployments":{"exclude":[".*-canary"]}})")
                                             .c_str(),
                                         &c) == FWM_OK);
    const Outcome o = collect(c);
    BOOST_TEST(o.status == FWM_OK, o.message);
    check_sane(o);
    BOOST_TEST(field_of(o.summary, "invalid_lines") == 1u);
    fwm_client_free(c);
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_utf8_and_newlines_in_a_payload)
{
    std::string name;
    for (int i = 0; i < 40; ++i)
        name += "\xc3\xa9"; // é: a duplicate HELP quotes this name cut at 64 bytes
    const std::string payload = "# HELP \"" + name + "\" first\n# HELP \"" + name + "\" again\n" +
                                "bad{l=\"\xff\xfe\"} 1\n" +                       // invalid UTF-8 in a label
                                "x{l=\"a\\nb\"} 1\n" +                             // an escaped newline in a value
                                "\xff\xfe\x01\x1b[31m 1\n" +                        // junk with an escape sequence
                                "request_counter_total:sum_by_deployment{" + kLabels + "} 1\n";
    const Outcome o = parse(payload, R"({"mapping":{},"samples":true})");
    BOOST_TEST(o.status == FWM_OK);
    check_sane(o);
    BOOST_TEST(field_of(o.summary, "invalid_lines") == 3u);
    BOOST_TEST(o.summary.find("\\u001b") == std::string::npos); // the ESC was escaped as text, not passed on
}

#ifndef _WIN32 // the made-up slow names need slow_resolver.cpp's interposed getaddrinfo
BOOST_AUTO_TEST_CASE(a_slow_resolver_delays_no_other_handle)
{
    TestServer server({true, pki().server});
    require_test_resolver(server);

    // A handle whose lookup takes 3 s, with a 1 s timeout.
    fwm_client* slow = nullptr;
    const std::string slow_url = "https://slow.fwm-test:" + std::to_string(server.port()) + "/v1/accounts/acme/metrics";
    BOOST_TEST_REQUIRE(fwm_client_create(abi_config(slow_url, 1, unique_account(), "\"tls_validate_hostname\":false").c_str(),
                                         &slow) == FWM_OK);
    Outcome s;
    std::thread t([&] { s = collect(slow); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    double worst = 0;
    for (int i = 0; i < 5; ++i) {
        fwm_client* f = nullptr; // fresh handles: each resolves localhost anew
        BOOST_TEST_REQUIRE(fwm_client_create(abi_config(server.url(), 5, unique_account()).c_str(), &f) == FWM_OK);
        const Outcome o = collect(f);
        BOOST_TEST(o.status == FWM_OK, o.message);
        worst = std::max(worst, o.seconds);
        fwm_client_free(f);
    }
    t.join();
    BOOST_TEST_MESSAGE("slow resolver: the other handles took at most " << worst * 1000 << " ms; the slow one "
                                                                         << fwm_status_name(s.status) << " after "
                                                                         << s.seconds << " s: " << s.message);
    BOOST_TEST(worst < 0.9); // well before the slow lookup could have answered
    BOOST_TEST(s.status == FWM_ERR_TIMEOUT, s.message);
    BOOST_TEST(s.message.find("resolving slow.fwm-test") != std::string::npos, s.message);
    BOOST_TEST(s.seconds < 1.0 + 1.5);
    BOOST_TEST(made_up_lookups() >= 1u);
    fwm_client_free(slow);
}

BOOST_AUTO_TEST_CASE(handles_waiting_on_one_hung_name_share_one_lookup)
{
    TestServer server({true, pki().server});
    require_test_resolver(server);
    // Forty handles whose endpoint's name never answers in time (on forty
    // ports), and a healthy handle meanwhile.
    constexpr int kHandles = 40;
    const unsigned before = made_up_lookups();
    std::vector<Outcome> outcomes(kHandles);
    std::vector<std::thread> threads;
    for (int i = 0; i < kHandles; ++i)
        threads.emplace_back([&, i] {
            fwm_client* c = nullptr;
            // One name, many ports: a lookup is of the name, shared whatever the port.
            const std::string url = "https://wait-3000.fwm-test:" + std::to_string(20000 + i) + "/m";
            fwm_client_create(abi_config(url, 0.8, unique_account(), "\"max_attempts\":1").c_str(), &c);
            outcomes[static_cast<std::size_t>(i)] = collect(c);
            fwm_client_free(c);
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fwm_client* healthy = nullptr;
    BOOST_TEST_REQUIRE(fwm_client_create(abi_config(server.url(), 5, unique_account()).c_str(), &healthy) == FWM_OK);
    const Outcome h = collect(healthy);
    fwm_client_free(healthy);
    for (auto& t : threads)
        t.join();
    double worst = 0;
    int timed_out = 0;
    for (const auto& o : outcomes) {
        check_sane(o);
        worst = std::max(worst, o.seconds);
        timed_out += o.status == FWM_ERR_TIMEOUT && o.message.find("resolving wait-3000.fwm-test") != std::string::npos;
    }
    BOOST_TEST_MESSAGE("one hung name: " << timed_out << " of " << kHandles << " handles timed out on "
                                         << made_up_lookups() - before << " lookup(s); worst " << worst
                                         << " s (timeout 0.8 s); the healthy handle took " << h.seconds * 1000
                                         << " ms");
    BOOST_TEST(timed_out == kHandles);
    BOOST_TEST(made_up_lookups() - before == 1u);
    BOOST_TEST(worst < 0.8 + 1.5);
    BOOST_TEST(h.status == FWM_OK, h.message);
}

BOOST_AUTO_TEST_CASE(lookups_of_many_hung_names_are_bounded_in_time_and_number)
{
    TestServer server({true, pki().server});
    require_test_resolver(server);
    // More distinct names than the library looks up at once; each waits 4 s.
    constexpr int kHandles = 80;
    std::vector<Outcome> outcomes(kHandles);
    std::vector<std::thread> threads;
    for (int i = 0; i < kHandles; ++i)
        threads.emplace_back([&, i] {
            fwm_client* c = nullptr;
            const std::string url =
                "https://wait-4000-" + std::to_string(i) + ".fwm-test:" + std::to_string(server.port()) + "/m";
            fwm_client_create(abi_config(url, 0.8, unique_account(), "\"max_attempts\":1").c_str(), &c);
            outcomes[static_cast<std::size_t>(i)] = collect(c);
            fwm_client_free(c);
        });
    for (auto& t : threads)
        t.join();
    int waited = 0, refused = 0;
    double worst = 0;
    for (const auto& o : outcomes) {
        check_sane(o);
        worst = std::max(worst, o.seconds);
        if (o.message.find("DNS lookups of other names are already waiting") != std::string::npos)
            ++refused;
        else if (o.status == FWM_ERR_TIMEOUT)
            ++waited;
    }
    BOOST_TEST_MESSAGE("never-answering resolver, " << kHandles << " names: " << waited << " timed out, " << refused
                                                    << " refused at once; worst " << worst << " s (timeout 0.8 s)");
    BOOST_TEST(waited + refused == kHandles);
    BOOST_TEST(refused >= 1);
    BOOST_TEST(worst < 0.8 + 1.5);
    // Once those lookups have ended, names resolve again.
    std::this_thread::sleep_for(std::chrono::milliseconds(4500));
    fwm_client* c = nullptr;
    BOOST_TEST_REQUIRE(fwm_client_create(abi_config(server.url(), 5, unique_account()).c_str(), &c) == FWM_OK);
    BOOST_TEST(collect(c).status == FWM_OK);
    fwm_client_free(c);
}
#endif

BOOST_AUTO_TEST_CASE(hostile_answers_of_the_rest_apis)
{
    std::mt19937_64 rng(0x5eed);
    std::mutex rng_mutex;
    TestServer server({true, pki().server}, [&](const RequestRecord& req, std::size_t) {
        if (req.target.find("/metrics") != std::string::npos)
            return metrics_reply(2);
        Reply r;
        std::lock_guard lock(rng_mutex);
        r.body = hostile_rest_body(rng, rest_of(req.target));
        r.gzip = rng() % 2;
        return r;
    });
    const std::string fleet = "\"fleet\":{\"collect_inventory\":true,\"collect_usage\":true,"
                              "\"collect_capacity\":true,\"collect_costs\":true,\"api_endpoint\":\"" +
                              server.url("") + "\"}";
    const auto until = Clock::now() + std::chrono::duration<double>(rest_torture_seconds());
    std::atomic<unsigned> handles{0}, answers{0};
    std::vector<std::string> failures;
    std::mutex failures_mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            while (Clock::now() < until) {
                fwm_client* c = nullptr;
                if (fwm_client_create(abi_config(server.url(), 5, unique_account(), fleet).c_str(), &c) != FWM_OK)
                    continue;
                ++handles;
                for (int i = 0; i < 6; ++i) { // the refreshes run beside these collections
                    const Outcome o = collect(c);
                    std::string p = problems(o);
                    if (o.status != FWM_OK)
                        p += " status " + std::string(fwm_status_name(o.status)) + ": " + o.message;
                    if (o.summary.find("\"attempt\":{") != std::string::npos)
                        ++answers;
                    if (!p.empty()) {
                        std::lock_guard lock(failures_mutex);
                        failures.push_back(p);
                    }
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
                fwm_client_free(c);
            }
        });
    for (auto& t : threads)
        t.join();
    BOOST_TEST_MESSAGE("hostile REST answers: " << handles << " handles, " << answers
                                                << " collections reported a refresh; every metrics collection OK");
    BOOST_TEST(failures.empty(), failures.size() << " bad outcomes; first: " << (failures.empty() ? "" : failures[0]));
    BOOST_TEST(answers > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
