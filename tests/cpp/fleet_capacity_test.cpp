// The account, its quotas and its dollars through the refresher and the
// collector, against the local TLS server: the first run complete, the
// SELF fallback, the suspended account's slower pace, money to the nano,
// midnight, and faults that leave the metrics scrape untouched.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <rapidjson/document.h>

#include "client_support.hpp"
#include "collector/collector.hpp"
#include "fleet/refresher.hpp"
#include "fleet/report.hpp"
#include "fleet/rfc3339.hpp"
#include "http/config.hpp"
#include "http/url.hpp"

using namespace fwm::test;
using fwm::collector::Collector;
using Clock = std::chrono::steady_clock;

namespace {

const char* kAccount = R"({"name": "accounts/acme", "displayName": "Acme", "state": "READY",
    "suspendState": "UNSUSPENDED", "status": {"code": "OK"}})";
const char* kQuotas1 = R"({"quotas": [
    {"name": "accounts/acme/quotas/h100-us-virginia-1", "value": "8", "maxValue": "16", "usage": 6},
    {"name": "accounts/acme/quotas/monthly-spend-usd", "value": "1000", "usage": "620.5"}],
    "nextPageToken": "q2"})";
const char* kQuotas2 = R"({"quotas": [
    {"name": "accounts/acme/quotas/mi300x-us-iowa-1", "value": 8, "max_value": 8, "usage": "0"},
    {"name": "accounts/acme/quotas/serverless-inference-rpm", "value": "6000"}]})";
const char* kDeployments = R"({"deployments": [
    {"name": "accounts/acme/deployments/dep0", "state": "READY", "acceleratorType": "NVIDIA_H100_80GB",
     "acceleratorCount": 8, "replicaCount": 2, "region": "US_VIRGINIA_1"},
    {"name": "accounts/acme/deployments/dep1", "state": "FAILED", "acceleratorType": "NVIDIA_A100_80GB",
     "acceleratorCount": 4, "replicaCount": 0, "region": "US_VIRGINIA_1"},
    {"name": "accounts/acme/deployments/dep2", "state": "READY", "acceleratorType": "AMD_MI300X_192GB",
     "acceleratorCount": 1, "replicaCount": 3, "region": "US_IOWA_1"},
    {"name": "accounts/acme/deployments/dep3", "state": "READY", "acceleratorType": "NVIDIA_B200_192GB",
     "acceleratorCount": 8, "replicaCount": 1, "region": "US_IOWA_1"},
    {"name": "accounts/acme/deployments/dep4", "state": "READY", "acceleratorType": "NVIDIA_H100_80GB",
     "acceleratorCount": 8, "replicaCount": 0, "region": "US_VIRGINIA_1"}]})";
const char* kBilling = R"({"lineItems": [
    {"category": "dedicated", "groupingKey": "accelerator_type", "groupingValue": "NVIDIA_H100_80GB",
     "quantity": 100, "unitAmount": {"units": "5", "nanos": 800000000}, "totalCost": {"units": "580"}},
    {"category": "serverless", "groupingKey": "model", "groupingValue": "accounts/fireworks/models/llama",
     "totalCost": {"units": "1", "nanos": 100000000}}]})";

// usageCosts rows of one day: three tenths of a dollar per model (0.1 on
// each of three pages' worth), keys with nanos.
std::string cost_rows(const std::string& body, const std::string& day, const std::string& token)
{
    const bool by_model = body.find("\"MODEL\"") != std::string::npos;
    const std::string start = "\"startTime\": \"" + day + "T00:00:00Z\"";
    if (by_model && token.empty())
        return R"({"rows": [{"dimensions": {)" + start + R"(, "model": "accounts/fireworks/models/llama"},
                   "subtotal": {"currencyCode": "USD", "units": "0", "nanos": 100000000}},
                  {"dimensions": {)" + start + R"(, "model": "accounts/acme/models/tuned"},
                   "subtotal": {"currencyCode": "EUR", "units": 2}}],
                  "nextPageToken": "c2", "evaluationTime": ")" + day + R"(T06:00:00Z", "attributionCompleteness": "COMPLETE"})";
    if (by_model)
        return R"({"rows": [{"dimensions": {)" + start + R"(, "model": "accounts/fireworks/models/qwen"},
                   "subtotal": {"units": "0", "nanos": 200000000}}],
                  "subtotal": {"currencyCode": "USD", "units": "2", "nanos": 300000000}})";
    return R"({"rows": [{"dimensions": {)" + start + R"(, "apiKeyId": "key-1", "user": "users/alice"},
               "subtotal": {"units": "1", "nanos": 999999999}},
              {"dimensions": {)" + start + R"(, "apiKeyId": "key-2"}, "subtotal": {"units": "0", "nanos": 1}}]})";
}

std::string token_of(const std::string& body)
{
    const auto at = body.find("\"pageToken\":\"");
    return at == std::string::npos ? "" : body.substr(at + 13, body.find('"', at + 13) - at - 13);
}

std::string day_of(const std::string& body)
{
    const auto at = body.find("\"startTime\":\"");
    return body.substr(at + 13, 10);
}

// The account's REST API; each path's answer can be replaced.
struct AccountServer {
    std::mutex mutex;
    std::map<std::string, std::function<Reply(const RequestRecord&)>> routes;
    TestServer server{{true, pki().server}, [this](const RequestRecord& r, std::size_t) {
                          std::function<Reply(const RequestRecord&)> h;
                          {
                              std::lock_guard lock(mutex);
                              const std::string path = r.target.substr(0, r.target.find('?'));
                              if (auto it = routes.find(path); it != routes.end())
                                  h = it->second;
                          }
                          if (h)
                              return h(r);
                          if (r.target.rfind("/v1/", 0) == 0 && r.target.find("/metrics") == std::string::npos) {
                              Reply none;
                              none.status = 404;
                              return none;
                          }
                          Reply metrics = metrics_reply(2);
                          // dep0's prompt-token rate (the cost per million tokens), and
                          // the undocumented replicas gauge of a deployment the
                          // inventory does not list.
                          metrics.body += "tokens_prompt_total:sum_by_deployment{deployment_id=\"dep0\"} 250\n"
                                          "tokens_prompt_total:sum_by_deployment{deployment_id=\"dep1\"} 40\n"
                                          "deployment_replicas{deployment_account=\"acme\",deployment_id=\"dep0\"} 2\n"
                                          "deployment_replicas{deployment_account=\"acme\",deployment_id=\"cold\"} 0\n";
                          return metrics;
                      }};

    AccountServer()
    {
        body("/v1/accounts/acme", kAccount);
        route("/v1/accounts/acme/quotas", [](const RequestRecord& r) {
            Reply reply;
            reply.body = r.target.find("pageToken=q2") != std::string::npos ? kQuotas2 : kQuotas1;
            return reply;
        });
        body("/v1/accounts/acme/deployments", kDeployments);
        body("/v1/accounts/acme/deployments/dep1/terminationMessage", R"({"message": "CUDA out of memory"})");
        body("/v1/accounts/acme/billing/summary", kBilling);
        route("/v1/accounts/acme/usageCosts:query", [](const RequestRecord& r) {
            Reply reply;
            reply.body = cost_rows(r.body, day_of(r.body), token_of(r.body));
            return reply;
        });
    }
    void route(const std::string& path, std::function<Reply(const RequestRecord&)> h)
    {
        std::lock_guard lock(mutex);
        routes[path] = std::move(h);
    }
    void body(const std::string& path, std::string text)
    {
        route(path, [text](const RequestRecord&) {
            Reply reply;
            reply.body = text;
            return reply;
        });
    }
    std::size_t count(const std::string& part) const
    {
        std::size_t n = 0;
        for (const auto& r : server.requests())
            n += (r.target + " " + r.body).find(part) != std::string::npos;
        return n;
    }
};

std::string text(const rapidjson::Value& v)
{
    return std::string(v.GetString(), v.GetStringLength());
}

const rapidjson::Value* find(const rapidjson::Value& list, const char* key, const std::string& value)
{
    for (const auto& e : list.GetArray())
        if (text(e[key]) == value)
            return &e;
    return nullptr;
}

// A refresher of the account driven by refresh_now() and a clock of the test's.
struct Driven {
    std::atomic<double> clock;
    std::unique_ptr<fwm::fleet::Refresher> refresher;

    Driven(AccountServer& s, const char* now, bool capacity, bool costs, const std::string& scope = "ACCOUNT",
           std::chrono::milliseconds slowed_spacing = std::chrono::seconds(20))
        : clock(*fwm::fleet::parse_rfc3339(now))
    {
        fwm::fleet::FleetOptions o;
        o.capacity = capacity;
        o.costs = costs;
        o.capacity_interval = o.cost_interval = std::chrono::seconds(3600); // refresh_now() reads
        o.cost_scope = scope;
        o.slowed_spacing = slowed_spacing;
        std::string error;
        o.api_endpoint = *fwm::http::parse_url(s.server.url(""), error);
        o.wall_clock = [this] { return clock.load(); };
        refresher = std::make_unique<fwm::fleet::Refresher>(
            fwm::http::read_client_config(client_json(s.server.url(), "", "acme").c_str()), o);
        refresher->start();
    }
    // The first refresh's outcome, or (refresh > 1) the next one's: every
    // kind refreshes at refresh_now().
    fwm::fleet::Snapshot read(std::uint64_t refresh, bool costs = false)
    {
        const auto sequence = [&](const fwm::fleet::Snapshot& snap) {
            return (costs ? snap.costs_attempt : snap.capacity_attempt).sequence;
        };
        std::uint64_t after = 0;
        if (refresh > 1) {
            auto before = refresher->snapshot();
            while (sequence(before) == 0) { // the first one is still under way
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                before = refresher->snapshot();
            }
            after = sequence(before);
            refresher->refresh_now();
        }
        const auto until = Clock::now() + std::chrono::seconds(10);
        for (;;) {
            auto snap = refresher->snapshot();
            if (sequence(snap) > after)
                return snap;
            BOOST_TEST_REQUIRE((Clock::now() < until));
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_capacity)

BOOST_AUTO_TEST_CASE(the_first_run_has_the_account_quotas_spend_dollars_and_cost_per_deployment)
{
    AccountServer s;
    Collector c(client_json(s.server.url(),
                            "\"fleet\":{\"api_endpoint\":\"" + s.server.url("") +
                                "\",\"collect_inventory\":true,\"collect_capacity\":true,\"collect_costs\":true,"
                                "\"accelerator_prices\":{\"AMD_MI300X_192GB\":2.5,\"NVIDIA_A100_80GB\":3}}",
                            "acme")
                    .c_str());
    auto r = c.collect(nullptr);
    BOOST_TEST_REQUIRE(r.status == FWM_OK, r.message);
    const auto doc = parse_json(r.summary);
    const auto& fleet = doc["fleet"];
    BOOST_TEST(fleet["first_run"]["missing"].Size() == 0u);
    // The account, and the quotas of both pages.
    const auto& cap = fleet["capacity"];
    BOOST_TEST(text(cap["attempt"]["status_name"]) == "FWM_OK");
    BOOST_TEST(cap["attempt"]["requests"].GetUint() == 3u);
    BOOST_TEST(text(cap["last_good"]["account"]["suspend_state"]) == "UNSUSPENDED");
    BOOST_TEST(cap["last_good"]["account"]["suspended"].IsFalse());
    BOOST_TEST(cap["envelope"]["slowed"].IsFalse());
    const auto& quotas = cap["last_good"]["quotas"];
    BOOST_REQUIRE_EQUAL(quotas.Size(), 4u);
    const auto* h100 = find(quotas, "id", "h100-us-virginia-1");
    BOOST_REQUIRE(h100);
    BOOST_TEST((*h100)["limit"].GetDouble() == 8.0);
    BOOST_TEST((*h100)["max_approved"].GetDouble() == 16.0);
    BOOST_TEST((*h100)["usage"].GetDouble() == 6.0);
    BOOST_TEST(text((*h100)["accelerator"]) == "h100");
    BOOST_TEST(text((*h100)["region"]) == "us-virginia-1");
    // dep0: 2 replicas x 8; dep1 (A100, scaled to zero) is another family.
    BOOST_TEST((*h100)["accelerators_in_use"].GetDouble() == 16.0);
    BOOST_TEST((*find(quotas, "id", "mi300x-us-iowa-1"))["accelerators_in_use"].GetDouble() == 3.0);
    BOOST_TEST((*find(quotas, "id", "serverless-inference-rpm"))["accelerators_in_use"].IsNull());
    BOOST_TEST(text((*find(quotas, "id", "serverless-inference-rpm"))["accelerator"]).empty());
    const auto& spend = cap["last_good"]["spend"];
    BOOST_TEST(spend["month_to_date"].GetDouble() == 620.5);
    BOOST_TEST(spend["limit"].GetDouble() == 1000.0);
    BOOST_TEST(spend["utilization"].GetDouble() == 0.6205);
    // Dollars: 0.1 + 0.2 by model in USD is not mixed with EUR; the pages joined.
    const auto& costs = fleet["costs"]["last_good"];
    BOOST_TEST(text(fleet["costs"]["attempt"]["status_name"]) == "FWM_OK");
    BOOST_TEST(text(costs["scope"]) == "ACCOUNT");
    BOOST_TEST(text(costs["attribution_completeness"]) == "COMPLETE");
    const auto& rated = costs["rated"];
    BOOST_REQUIRE_EQUAL(rated.Size(), 5u);
    BOOST_TEST(text((*find(rated, "model", "accounts/acme/models/tuned"))["currency"]) == "EUR");
    BOOST_TEST((*find(rated, "model", "accounts/fireworks/models/qwen"))["amount"].GetDouble() == 0.2);
    BOOST_TEST((*find(rated, "api_key_id", "key-1"))["amount"].GetDouble() == 1.999999999);
    BOOST_TEST(text((*find(rated, "api_key_id", "key-1"))["user"]) == "users/alice");
    BOOST_TEST((*find(rated, "api_key_id", "key-2"))["amount"].GetDouble() == 1e-9);
    BOOST_TEST(costs["subtotal"]["amount"].GetDouble() == 2.3);
    BOOST_TEST(costs["billed"].Size() == 2u);
    BOOST_TEST(costs["billed"][1]["total"].GetDouble() == 1.1);
    // $/hour: dep0 from billing (16 x 5.8), dep2 from the configured price (3 x 2.5), dep1 at zero.
    const auto& deployments = fleet["inventory"]["last_good"]["deployments"];
    const auto* dep0 = find(deployments, "id", "dep0");
    BOOST_TEST((*dep0)["estimated_cost_per_hour"].GetDouble() == 92.8, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(text((*dep0)["price_source"]) == "billing");
    BOOST_TEST((*dep0)["scaled_to_zero"].IsFalse());
    const auto* dep2 = find(deployments, "id", "dep2");
    BOOST_TEST((*dep2)["estimated_cost_per_hour"].GetDouble() == 7.5);
    BOOST_TEST(text((*dep2)["price_source"]) == "config");
    // Its cost per million prompt tokens, from the rate in the same run: 92.8 / (250 x 3600 / 1e6).
    BOOST_TEST((*dep0)["prompt_tokens_per_s"].GetDouble() == 250.0);
    BOOST_TEST((*dep0)["estimated_cost_per_million_tokens"].GetDouble() == 92.8 / 0.9, boost::test_tools::tolerance(1e-9));
    BOOST_TEST((*dep2)["prompt_tokens_per_s"].IsNull());
    BOOST_TEST((*dep2)["estimated_cost_per_million_tokens"].IsNull());
    // A deployment only the metrics show, scaled to zero by their replicas gauge.
    BOOST_REQUIRE_EQUAL(fleet["metrics_replicas"].Size(), 1u);
    BOOST_TEST(text(fleet["metrics_replicas"][0]["deployment_id"]) == "cold");
    BOOST_TEST(fleet["metrics_replicas"][0]["replicas"].GetDouble() == 0.0);
    // READY with no replicas is idle on purpose; FAILED with none is down.
    const auto* dep4 = find(deployments, "id", "dep4");
    BOOST_TEST((*dep4)["scaled_to_zero"].IsTrue());
    BOOST_TEST((*dep4)["estimated_cost_per_hour"].GetDouble() == 0.0);
    const auto* dep1 = find(deployments, "id", "dep1");
    BOOST_TEST((*dep1)["scaled_to_zero"].IsFalse());
    BOOST_TEST((*dep1)["estimated_cost_per_hour"].GetDouble() == 0.0);
    // Tokens still counted while it costs nothing: no price per token from that.
    BOOST_TEST((*dep1)["prompt_tokens_per_s"].GetDouble() == 40.0);
    BOOST_TEST((*dep1)["estimated_cost_per_million_tokens"].IsNull());
    // No price for an accelerator type: no estimate, never a guess.
    const auto* dep3 = find(deployments, "id", "dep3");
    BOOST_TEST((*dep3)["estimated_cost_per_hour"].IsNull());
    BOOST_TEST(text((*dep3)["price_source"]).empty());
    BOOST_TEST(text((*dep1)["termination_message"]) == "CUDA out of memory");
    BOOST_TEST(r.summary.find(kSecretKey) == std::string::npos);
    // The queries went as POSTs with a JSON body.
    BOOST_TEST(s.count("\"groupBy\":[\"DAY\",\"MODEL\"]") == 2u);
    BOOST_TEST(s.count("\"groupBy\":[\"DAY\",\"API_KEY\"]") == 1u);
    for (const auto& req : s.server.requests())
        if (req.target.find("usageCosts") != std::string::npos) {
            BOOST_TEST(req.method == "POST");
            BOOST_TEST(req.content_type == "application/json");
        }
}

BOOST_AUTO_TEST_CASE(a_key_refused_the_account_scope_falls_back_to_its_own_costs_and_says_so)
{
    AccountServer s;
    s.route("/v1/accounts/acme/usageCosts:query", [](const RequestRecord& r) {
        Reply reply;
        if (r.body.find("\"scope\":\"ACCOUNT\"") != std::string::npos) {
            reply.status = 403;
            reply.body = R"({"error": "requires account administrator"})";
            return reply;
        }
        reply.body = cost_rows(r.body, day_of(r.body), token_of(r.body));
        return reply;
    });
    Driven d(s, "2026-12-07T10:00:00Z", false, true);
    auto snap = d.read(1, true);
    BOOST_TEST(snap.costs_attempt.status == FWM_OK, snap.costs_attempt.message);
    BOOST_REQUIRE(snap.costs);
    BOOST_TEST(snap.costs->scope == "SELF");
    BOOST_TEST(snap.costs->scope_fallback);
    BOOST_TEST(snap.costs->today->by_model.size() == 3u);
    // Asked with ACCOUNT once only: the next refresh goes straight to SELF.
    snap = d.read(2, true);
    BOOST_TEST(s.count("\"scope\":\"ACCOUNT\"") == 1u);
    const auto json_text = fwm::fleet::fleet_json(snap, d.refresher->options());
    BOOST_TEST(json_text.find("\"scope_fallback\":true") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_suspended_account_slows_the_refreshes_and_says_why)
{
    AccountServer s;
    s.body("/v1/accounts/acme", R"({"state": "READY", "suspendState": "CREDIT_DEPLETED"})");
    Driven d(s, "2026-12-07T10:00:00Z", true, false);
    auto snap = d.read(1);
    BOOST_TEST(snap.envelope.slowed);
    BOOST_TEST(snap.envelope.reason.find("CREDIT_DEPLETED") != std::string::npos);
    BOOST_TEST(snap.envelope.reason.find("10 API requests a minute") != std::string::npos);
    BOOST_TEST(snap.capacity->quotas.size() == 4u); // the first reading has them
    // While it lasts the account is read alone: the quotas keep their reading.
    const std::size_t quota_calls = s.count("/quotas");
    snap = d.read(2);
    BOOST_TEST(snap.envelope.slowed);
    BOOST_TEST(snap.capacity_attempt.requests == 1u);
    BOOST_TEST(s.count("/quotas") == quota_calls);
    BOOST_TEST(snap.capacity->quotas.size() == 4u);
    // Reactivated: the pace comes back, and the quotas are read again.
    s.body("/v1/accounts/acme", kAccount);
    snap = d.read(3);
    BOOST_TEST(s.count("/quotas") == quota_calls + 2);
    BOOST_TEST(!snap.envelope.slowed);
    BOOST_TEST(snap.envelope.reason.empty());
}

BOOST_AUTO_TEST_CASE(while_suspended_the_other_calls_go_one_slot_at_a_time)
{
    // 4 requests a costs refresh (2 pages by model, 1 by key, the billing summary).
    // The server notes a request when it has read it, a while after its slot
    // opened: the first of a refresh, on a new TLS connection, was noted
    // 66 ms late under qemu. A spacing of 1 s and a margin of 300 ms keep
    // the paced and the unpaced apart on any host.
    constexpr auto kSpacing = std::chrono::milliseconds(1000);
    constexpr auto kNotedLate = std::chrono::milliseconds(300);
    const auto costs_span = [](AccountServer& s, std::size_t from) {
        std::vector<Clock::time_point> at;
        const auto all = s.server.requests();
        for (std::size_t i = from; i < all.size(); ++i)
            if (all[i].target.find("usageCosts") != std::string::npos || all[i].target.find("billing/summary") != std::string::npos)
                at.push_back(all[i].at);
        BOOST_TEST_REQUIRE(at.size() == 4u);
        return at.back() - at.front();
    };
    for (const bool suspended : {true, false}) {
        AccountServer s;
        if (suspended)
            s.body("/v1/accounts/acme", R"({"state": "READY", "suspendState": "FAILED_PAYMENTS"})");
        Driven d(s, "2026-12-07T10:00:00Z", true, true, "ACCOUNT", kSpacing);
        d.read(1);
        d.read(1, true);
        BOOST_TEST_REQUIRE(d.refresher->snapshot().envelope.slowed == suspended);
        const std::size_t before = s.server.requests().size();
        d.read(2, true);
        const auto span = costs_span(s, before);
        // Past a burst of 3 (whose slots the last refresh used), each waits
        // for its slot; an active account's go at once. The 4th comes at
        // least a spacing after the 1st's slot, which the server noted late.
        if (suspended)
            BOOST_TEST((span >= kSpacing - kNotedLate), "4 paced requests in " << span.count() << " ns");
        else
            BOOST_TEST((span < kSpacing - kNotedLate), "4 requests in " << span.count() << " ns");
    }
}

BOOST_AUTO_TEST_CASE(failures_keep_the_last_good_parts_and_name_the_call)
{
    AccountServer s;
    Driven d(s, "2026-12-07T10:00:00Z", true, true);
    auto snap = d.read(1);
    d.read(1, true);
    BOOST_TEST_REQUIRE(snap.capacity);
    BOOST_TEST(snap.capacity->quotas.size() == 4u);
    // The quotas break: the account is read, the quotas kept, the call named.
    s.route("/v1/accounts/acme/quotas", [](const RequestRecord&) {
        Reply reply;
        reply.body = "<html>maintenance</html>";
        return reply;
    });
    snap = d.read(2);
    BOOST_TEST(snap.capacity_attempt.status == FWM_ERR_PROTOCOL);
    BOOST_TEST(snap.capacity_attempt.message.find("listing quotas (GET /v1/accounts/acme/quotas on api_endpoint") == 0u,
               snap.capacity_attempt.message);
    BOOST_TEST(snap.capacity->quotas.size() == 4u);
    BOOST_TEST(snap.capacity->account.has_value());
    // The account answers 429: the quotas are not asked in that refresh.
    const std::size_t quota_calls = s.count("/quotas");
    s.route("/v1/accounts/acme", [](const RequestRecord&) {
        Reply reply;
        reply.status = 429;
        reply.headers.emplace_back("Retry-After", "1");
        return reply;
    });
    snap = d.read(3);
    BOOST_TEST(snap.capacity_attempt.status == FWM_ERR_RATE_LIMITED);
    BOOST_TEST(s.count("/quotas") == quota_calls);
    BOOST_TEST(snap.capacity->account.has_value()); // the last good one
    BOOST_TEST(!snap.capacity->account_error.empty());
    // The billing summary breaks (once the 429's second has passed: it
    // holds back every call of the account): the dollars still come.
    s.body("/v1/accounts/acme", kAccount); // refresh_now() asks every kind again
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    s.route("/v1/accounts/acme/billing/summary", [](const RequestRecord&) {
        Reply reply;
        reply.status = 500;
        return reply;
    });
    snap = d.read(2, true);
    BOOST_TEST(snap.costs_attempt.status == FWM_ERR_HTTP_SERVER);
    BOOST_TEST(snap.costs_attempt.message.find("reading the billing summary (GET /v1/accounts/acme/billing/summary") == 0u,
               snap.costs_attempt.message);
    BOOST_TEST(snap.costs->billed.size() == 2u); // the last good lines
    BOOST_TEST(snap.costs->today->by_api_key.size() == 2u);
    // The billing period: the month so far, today included.
    BOOST_TEST(s.count("startTime=2026-12-01T00%3A00%3A00Z&endTime=2026-12-08T00%3A00%3A00Z") >= 2u);
    for (const auto& req : s.server.requests())
        BOOST_TEST(req.target.find(kSecretKey) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_first_reading_of_a_day_reads_the_day_befores_final_costs_once)
{
    AccountServer s;
    Driven d(s, "2026-12-07T23:50:00Z", false, true);
    auto snap = d.read(1, true);
    BOOST_TEST(snap.costs->today->day == "2026-12-07");
    BOOST_TEST(!snap.costs->day_before);
    d.clock = *fwm::fleet::parse_rfc3339("2026-12-08T00:10:00Z");
    snap = d.read(2, true);
    BOOST_TEST(snap.costs->today->day == "2026-12-08");
    BOOST_REQUIRE(snap.costs->day_before);
    BOOST_TEST(snap.costs->day_before->day == "2026-12-07");
    BOOST_TEST(snap.costs->day_before->by_api_key.size() == 2u);
    // 3 queries a day (2 pages by model, 1 by key) for both days, and the billing summary.
    BOOST_TEST(snap.costs_attempt.requests == 7u);
    snap = d.read(3, true);
    BOOST_TEST(snap.costs->day_before != nullptr);
    BOOST_TEST(snap.costs_attempt.requests == 4u);
    // On the first of a month, the billing period is that day alone.
    d.clock = *fwm::fleet::parse_rfc3339("2027-01-01T00:30:00Z");
    d.read(4, true);
    BOOST_TEST(s.count("startTime=2027-01-01T00%3A00%3A00Z&endTime=2027-01-02T00%3A00%3A00Z") == 1u);
}

BOOST_AUTO_TEST_CASE(every_fault_of_a_call_names_it_and_leaves_the_metrics_untouched)
{
    struct Fault {
        const char* path;
        unsigned status;
        std::size_t body_bytes;
        std::chrono::milliseconds delay;
        const char* kind;
        int expected;
        const char* names;
    };
    const Fault faults[] = {
        {"/v1/accounts/acme", 401, 0, {}, "capacity", FWM_ERR_HTTP_UNAUTHORIZED, "reading the account (GET /v1/accounts/acme "},
        {"/v1/accounts/acme/quotas", 404, 0, {}, "capacity", FWM_ERR_HTTP_NOT_FOUND, "listing quotas (GET"},
        {"/v1/accounts/acme/billing/summary", 200, 200000, {}, "costs", FWM_ERR_RESPONSE_TOO_LARGE,
         "reading the billing summary (GET"},
        {"/v1/accounts/acme/usageCosts:query", 200, 0, std::chrono::milliseconds(3000), "costs", FWM_ERR_TIMEOUT,
         "querying usage costs (POST /v1/accounts/acme/usageCosts:query"},
    };
    for (const Fault& f : faults) {
        AccountServer s;
        s.route(f.path, [f](const RequestRecord&) {
            Reply reply;
            reply.status = f.status;
            reply.body = f.body_bytes ? "{\"lineItems\": [], \"pad\": \"" + std::string(f.body_bytes, 'x') + "\"}" : "{}";
            reply.delay = f.delay;
            return reply;
        });
        Collector c(client_json(s.server.url(),
                                "\"timeout\":1,\"fleet\":{\"api_endpoint\":\"" + s.server.url("") +
                                    "\",\"collect_capacity\":true,\"collect_costs\":true,\"api_max_response_bytes\":65536}",
                                "acme")
                        .c_str());
        const auto started = Clock::now();
        auto r = c.collect(nullptr);
        BOOST_TEST(r.status == FWM_OK, f.path << ": " << r.message);
        BOOST_TEST((Clock::now() - started < std::chrono::milliseconds(1700)), f.path);
        const auto doc = parse_json(r.summary);
        const auto& attempt = doc["fleet"][f.kind]["attempt"];
        BOOST_TEST_REQUIRE(attempt.IsObject(), f.path);
        BOOST_TEST(attempt["status"].GetInt() == f.expected, f.path << ": " << text(attempt["message"]));
        BOOST_TEST(text(attempt["message"]).find(f.names) == 0u, text(attempt["message"]));
        BOOST_TEST(r.summary.find(kSecretKey) == std::string::npos);
        const auto& other = doc["fleet"][std::string(f.kind) == "costs" ? "capacity" : "costs"]["attempt"];
        BOOST_TEST(text(other["status_name"]) == "FWM_OK", f.path);
    }
}

BOOST_AUTO_TEST_CASE(a_spend_read_in_an_earlier_month_is_not_this_months)
{
    fwm::fleet::Snapshot snap;
    auto c = std::make_shared<fwm::fleet::Capacity>();
    fwm::fleet::Quota spend;
    spend.id = "monthly-spend-usd";
    spend.limit = 1000;
    spend.usage = 900;
    c->quotas = {spend};
    c->quotas_read = true;
    c->quotas_read_at = *fwm::fleet::parse_rfc3339("2027-01-31T23:00:00Z");
    snap.capacity = c;
    fwm::fleet::FleetOptions o;
    o.capacity = true;
    double now = *fwm::fleet::parse_rfc3339("2027-01-31T23:30:00Z");
    o.wall_clock = [&] { return now; };
    // Read this month: projected from when it was read (30 days and 23 hours in).
    auto doc = parse_json(fwm::fleet::fleet_json(snap, o));
    const auto& same = doc["capacity"]["last_good"]["spend"];
    BOOST_TEST(same["month_to_date"].GetDouble() == 900.0);
    BOOST_TEST(same["projected_month_end"].GetDouble() == 900.0 * 31 * 24 / (30 * 24 + 23), boost::test_tools::tolerance(1e-9));
    BOOST_TEST(doc["capacity"]["last_good"]["quotas_read_at"].GetDouble() == c->quotas_read_at);
    // Still held in February (a failed or held listing): no spend, rather than January's projected over February.
    now = *fwm::fleet::parse_rfc3339("2027-02-02T01:00:00Z");
    doc = parse_json(fwm::fleet::fleet_json(snap, o));
    BOOST_TEST(doc["capacity"]["last_good"]["spend"].IsNull());
    BOOST_TEST(doc["capacity"]["last_good"]["quotas"].Size() == 1u); // the quota itself is still said, with its time
}

BOOST_AUTO_TEST_CASE(rows_of_one_key_are_summed_and_unattributed_ones_all_count)
{
    AccountServer s;
    s.route("/v1/accounts/acme/usageCosts:query", [](const RequestRecord& r) {
        Reply reply;
        const std::string day = "\"startTime\": \"" + day_of(r.body) + "T00:00:00Z\"";
        if (r.body.find("\"MODEL\"") == std::string::npos)
            reply.body = R"({"rows": []})";
        else if (token_of(r.body).empty())
            reply.body = R"({"rows": [{"dimensions": {)" + day + R"(, "model": "m1"}, "subtotal": {"units": "1"}},
                {"dimensions": {)" + day + R"(, "unknownModel": true}, "subtotal": {"units": "2"}},
                {"dimensions": {)" + day + R"(, "unattributedDimensions": ["MODEL"]}, "subtotal": {"units": "3", "nanos": 1}}],
                "nextPageToken": "p2", "subtotal": {"units": "7", "nanos": 1}})";
        else // m1 again on the next page: its rows add up
            reply.body = R"({"rows": [{"dimensions": {)" + day + R"(, "model": "m1"}, "subtotal": {"nanos": 1}}]})";
        return reply;
    });
    Driven d(s, "2026-12-07T10:00:00Z", false, true);
    const auto snap = d.read(1, true);
    BOOST_TEST_REQUIRE(snap.costs_attempt.status == FWM_OK, snap.costs_attempt.message);
    const auto& rows = snap.costs->today->by_model;
    BOOST_REQUIRE_EQUAL(rows.size(), 2u);
    BOOST_TEST(rows[0].model == "m1");
    BOOST_TEST(rows[0].amount.text() == "1.000000001");
    BOOST_TEST(rows[1].model.empty());
    BOOST_TEST(rows[1].amount.text() == "5.000000001"); // 2 + 3.000000001: none dropped
    fwm::fleet::Money total = rows[0].amount;
    total.add(rows[1].amount);
    BOOST_TEST(total.text() == "6.000000002");
}

BOOST_AUTO_TEST_CASE(one_instance_of_an_account_sends_its_data_until_it_goes)
{
    AccountServer s;
    // Two instances with the same account, key and options (their tags,
    // which the library does not see, may differ).
    const auto config = [&](const char*) {
        return client_json(s.server.url(),
                           "\"fleet\":{\"api_endpoint\":\"" + s.server.url("") + "\",\"collect_capacity\":true}",
                           "acme");
    };
    const auto sends = [](Collector& c) {
        auto r = c.collect(nullptr);
        BOOST_TEST_REQUIRE(r.status == FWM_OK, r.message);
        return parse_json(r.summary)["fleet"]["account_data"].GetBool();
    };
    auto first = std::make_unique<Collector>(config("a").c_str());
    Collector second(config("b").c_str());
    BOOST_TEST(sends(*first));
    BOOST_TEST(!sends(second)); // the same refresher: its quotas would count twice
    BOOST_TEST(sends(*first));
    first.reset();              // unscheduled: the other takes over
    BOOST_TEST(sends(second));
    BOOST_TEST(s.count("/quotas") == 2u); // one listing (two pages) for both
}

BOOST_AUTO_TEST_CASE(capacity_and_cost_options_are_checked)
{
    const auto message = [](const std::string& fleet) {
        rapidjson::Document doc;
        doc.Parse(("{" + fleet + "}").c_str());
        std::string error;
        const auto url = fwm::http::parse_url("https://api.fireworks.ai", error);
        try {
            fwm::fleet::read_fleet_options(&doc, *url);
            return std::string("accepted");
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
    };
    BOOST_TEST(message("\"collect_capacity\":1") == "option 'collect_capacity' must be true or false, not a number");
    BOOST_TEST(message("\"cost_interval\":5").find("option 'cost_interval' must be a whole number from 10") == 0u);
    BOOST_TEST(message("\"capacity_interval\":86401").find("option 'capacity_interval' must be a whole number") == 0u);
    BOOST_TEST(message("\"cost_scope\":\"account\"") == "option 'cost_scope' must be ACCOUNT or SELF");
    BOOST_TEST(message("\"accelerator_prices\":[]").find("option 'accelerator_prices' must be a mapping") == 0u);
    BOOST_TEST(message("\"accelerator_prices\":{\"h100\":5}").find("option 'accelerator_prices.h100' must name") == 0u);
    BOOST_TEST(message("\"accelerator_prices\":{\"NVIDIA_H100_80GB\":0}").find("above 0") != std::string::npos);
    BOOST_TEST(message("\"accelerator_prices\":{\"NVIDIA_H100_80GB\":\"7\"}").find("above 0") != std::string::npos);
    BOOST_TEST(message("\"collect_costs\":true,\"cost_scope\":\"SELF\",\"accelerator_prices\":{\"NVIDIA_H100_80GB\":7.5}") ==
               "accepted");
}

BOOST_AUTO_TEST_SUITE_END()
