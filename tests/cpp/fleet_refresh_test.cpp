// The deployments inventory and the billing usage through the collector,
// against the local TLS server: tags joined onto the metrics, pagination,
// and every fault leaving the metrics scrape untouched.
#include <boost/test/unit_test.hpp>
#ifdef _WIN32
#include <windows.h>
#include <tlhelp32.h>
#endif

#include <algorithm>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <future>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

#include "client_support.hpp"
#include "collector/collector.hpp"
#include "fleet/refresher.hpp"
#include "fleet/report.hpp"
#include "fleet/rfc3339.hpp"
#include "http/client.hpp"
#include "http/config.hpp"
#include "http/runtime.hpp"
#include "http/url.hpp"
#include "util/option_error.hpp"

using namespace fwm::test;
using fwm::collector::Collector;
using Clock = std::chrono::steady_clock;

namespace {

std::string all_batches(const fwm::collector::Result& r)
{
    std::string all, batch;
    std::vector<double> values;
    while (r.submissions && r.submissions->next_batch(batch, values))
        all += batch;
    return all;
}

const char* kPage1 = R"({"deployments": [
  {"name": "accounts/x/deployments/dep0", "displayName": "Llama prod", "state": "READY",
   "acceleratorType": "NVIDIA_H100_80GB", "acceleratorCount": 8, "replicaCount": 2, "desiredReplicaCount": 2,
   "region": "US_VIRGINIA_1", "annotations": {"team": "search", "env": "prod"}}],
  "nextPageToken": "p2+/="})";
const char* kPage2 = R"({"deployments": [
  {"name": "accounts/x/deployments/dep1", "displayName": "Qwen", "state": "FAILED",
   "status": {"code": "RESOURCE_EXHAUSTED", "message": "no capacity"},
   "acceleratorType": "NVIDIA_A100_80GB", "placement": {"multiRegion": "EUROPE"}}]})";

// A server that answers metrics, two pages of deployments and the usage.
struct FleetServer {
    std::mutex mutex;
    std::function<Reply(const RequestRecord&)> deployments = [](const RequestRecord& r) {
        Reply reply;
        reply.body = r.target.find("pageToken=p2%2B%2F%3D") != std::string::npos ? kPage2 : kPage1;
        return reply;
    };
    std::function<Reply(const RequestRecord&)> usage = [](const RequestRecord&) {
        Reply reply;
        reply.body = R"({"serverlessCosts": [{"modelName": "accounts/fireworks/models/kimi", "promptTokens": "900719925474099300", "completionTokens": "7"}],
                         "dedicatedCosts": [{"deploymentId": "dep0", "acceleratorType": "NVIDIA_H100_80GB", "acceleratorSeconds": "3600"}]})";
        return reply;
    };
    // Why a deployment failed: the endpoint may not exist (404).
    std::function<Reply(const RequestRecord&)> termination = [](const RequestRecord&) {
        Reply reply;
        reply.status = 404;
        reply.body = R"({"error": "not found"})";
        return reply;
    };
    TestServer server{{true, pki().server}, [this](const RequestRecord& r, std::size_t) {
                          std::function<Reply(const RequestRecord&)> h;
                          {
                              std::lock_guard lock(mutex);
                              if (r.target.find("/terminationMessage") != std::string::npos)
                                  h = termination;
                              else if (r.target.find("/deployments") != std::string::npos)
                                  h = deployments;
                              else if (r.target.find("/billingUsage") != std::string::npos)
                                  h = usage;
                          }
                          return h ? h(r) : metrics_reply(2);
                      }};

    std::string config(const std::string& fleet) const
    {
        return client_json(server.url(), "\"fleet\":{\"api_endpoint\":\"" + server.url("") + "\"," + fleet + "}");
    }
    void set_deployments(std::function<Reply(const RequestRecord&)> h)
    {
        std::lock_guard lock(mutex);
        deployments = std::move(h);
    }
    std::size_t count(const std::string& part) const
    {
        std::size_t n = 0;
        for (const auto& r : server.requests())
            n += r.target.find(part) != std::string::npos;
        return n;
    }
};

// Collects until the fleet member's `kind` has an attempt with a sequence
// past `after` (the refresh runs beside the scrapes), at most 10 s.
rapidjson::Document collect_until_attempt(Collector& c, const char* kind, std::uint64_t after,
                                          fwm::collector::Result* last = nullptr)
{
    const auto until = Clock::now() + std::chrono::seconds(10);
    for (;;) {
        auto r = c.collect(nullptr);
        BOOST_TEST_REQUIRE(r.status == FWM_OK, r.message); // the metrics never suffer
        auto doc = parse_json(r.summary);
        const auto& attempt = doc["fleet"][kind]["attempt"];
        if (attempt.IsObject() && attempt["sequence"].GetUint64() > after) {
            if (last)
                *last = std::move(r);
            return doc;
        }
        BOOST_TEST_REQUIRE((Clock::now() < until), "no " << kind << " refresh within 10 s");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_refresh)

BOOST_AUTO_TEST_CASE(the_inventory_is_paged_and_its_tags_join_every_metric_of_a_deployment)
{
    FleetServer fs;
    Collector c(fs.config("\"collect_inventory\":true,\"annotation_tags\":{\"team\":\"team\"}").c_str());
    fwm::collector::Result r;
    auto doc = collect_until_attempt(c, "inventory", 0);
    const auto& inv = doc["fleet"]["inventory"];
    BOOST_TEST(std::string(inv["attempt"]["status_name"].GetString()) == "FWM_OK");
    BOOST_TEST(inv["last_good"]["complete"].IsTrue());
    // Two pages, and once why the FAILED one failed (404: no message).
    BOOST_TEST(inv["attempt"]["requests"].GetUint() == 3u);
    BOOST_TEST(fs.count("/deployments/dep1/terminationMessage") == 1u);
    const auto& deployments = inv["last_good"]["deployments"];
    BOOST_TEST(std::string(deployments[1]["termination_message"].GetString()).empty());
    BOOST_REQUIRE_EQUAL(deployments.Size(), 2u);
    BOOST_TEST(std::string(deployments[1]["status_message"].GetString()) == "no capacity");
    BOOST_TEST(std::string(deployments[1]["region"].GetString()) == "EUROPE");
    BOOST_TEST(deployments[0]["replicas"].GetUint() == 2u);
    BOOST_TEST(deployments[1]["replicas"].IsNull());
    // The page token went back percent-encoded.
    BOOST_TEST(fs.count("pageToken=p2%2B%2F%3D") == 1u);
    BOOST_TEST(fs.count("/deployments?pageSize=200") == 2u);
    // The next run's metrics carry the joined tags.
    r = c.collect(nullptr);
    const std::string all = all_batches(r);
    for (const char* tag : {"accelerator_type:NVIDIA_H100_80GB", "region:US_VIRGINIA_1", "deployment_name:Llama prod",
                            "team:search", "fireworks_annotation_env:prod", "accelerator_type:NVIDIA_A100_80GB",
                            "region:EUROPE", "deployment_name:Qwen"})
        BOOST_TEST(all.find(tag) != std::string::npos, tag);
    BOOST_TEST(all.find("env:prod") == all.find("fireworks_annotation_env:prod") + std::string("fireworks_annotation_").size());
    BOOST_TEST(all.find(kSecretKey) == std::string::npos);
    // Not again before inventory_interval.
    c.collect(nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    BOOST_TEST(fs.count("/deployments?") == 2u);
    BOOST_TEST(fs.count("/terminationMessage") == 1u);
}

// One rule for which tag wins (mapping/joined_tags.hpp), on the metrics and
// on the fleet data alike: an instance tag's name keeps the inventory's tag
// of that name off both.
BOOST_AUTO_TEST_CASE(an_instance_tag_wins_over_the_inventorys_on_metrics_and_fleet_data_alike)
{
    FleetServer fs;
    Collector c(client_json(fs.server.url(), "\"fleet\":{\"api_endpoint\":\"" + fs.server.url("") +
                                                 "\",\"collect_inventory\":true,\"annotation_tags\":{\"team\":\"team\"}}," +
                                                 "\"mapping\":{\"tags\":[\"region:mine\",\"team:platform\"]}")
                    .c_str());
    const auto doc = collect_until_attempt(c, "inventory", 0);
    const auto& d0 = doc["fleet"]["inventory"]["last_good"]["deployments"][0];
    std::vector<std::string> tags;
    for (const auto& t : d0["tags"].GetArray())
        tags.emplace_back(t.GetString());
    auto has = [&](const char* t) { return std::find(tags.begin(), tags.end(), t) != tags.end(); };
    BOOST_TEST(tags.front() == "deployment_id:dep0");
    for (const char* kept : {"accelerator_type:NVIDIA_H100_80GB", "deployment_name:Llama prod", "fireworks_annotation_env:prod"})
        BOOST_TEST(has(kept), kept);
    for (const char* dropped : {"region:US_VIRGINIA_1", "team:search", "region:mine", "team:platform"})
        BOOST_TEST(!has(dropped), dropped); // the instance's own tags are the check's to add
    const std::string all = all_batches(c.collect(nullptr));
    BOOST_TEST(all.find("region:US_VIRGINIA_1") == std::string::npos);
    BOOST_TEST(all.find("team:search") == std::string::npos);
    BOOST_TEST(all.find("region:mine") != std::string::npos);
    BOOST_TEST(all.find("accelerator_type:NVIDIA_H100_80GB") != std::string::npos);
}

// The model tag comes from base_model by the metrics' rule, and an instance
// tag named model does not take it off (as on the metrics, where both go).
BOOST_AUTO_TEST_CASE(the_fleet_datas_model_tag_is_the_metrics)
{
    auto inv = std::make_shared<fwm::fleet::Inventory>();
    for (const char* base : {"accounts/fireworks/models/llama-v3", "accounts/fireworks/models/", ""}) {
        fwm::fleet::Deployment d;
        d.id = std::string("d") + std::to_string(inv->deployments.size());
        d.base_model = base;
        inv->deployments.push_back(d);
    }
    fwm::fleet::Snapshot snap;
    snap.inventory = inv;
    fwm::fleet::FleetOptions o;
    o.inventory = true;
    o.instance_tags = {"model:pinned", "service:x"};
    const auto doc = parse_json(fwm::fleet::fleet_json(snap, o));
    const auto& ds = doc["inventory"]["last_good"]["deployments"];
    BOOST_REQUIRE_EQUAL(ds.Size(), 3u);
    auto tags = [&](unsigned i) {
        std::string out;
        for (const auto& t : ds[i]["tags"].GetArray())
            out += std::string(t.GetString()) + ",";
        return out;
    };
    BOOST_TEST(tags(0) == "deployment_id:d0,model:llama-v3,");
    BOOST_TEST(tags(1) == "deployment_id:d1,"); // a base model ending in '/' gives no model tag
    BOOST_TEST(tags(2) == "deployment_id:d2,");
}

BOOST_AUTO_TEST_CASE(inventory_tags_false_keeps_the_metrics_as_they_were)
{
    FleetServer fs;
    Collector c(fs.config("\"collect_inventory\":true,\"inventory_tags\":false").c_str());
    collect_until_attempt(c, "inventory", 0);
    const std::string all = all_batches(c.collect(nullptr));
    BOOST_TEST(all.find("accelerator_type:") == std::string::npos);
    BOOST_TEST(all.find("deployment_id:dep0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_first_run_maps_with_the_first_inventory_and_usage)
{
    FleetServer fs;
    // No api_endpoint: the REST API follows openmetrics_endpoint's origin.
    Collector c(client_json(fs.server.url(), "\"fleet\":{\"collect_inventory\":true,\"collect_usage\":true}").c_str());
    const auto r = c.collect(nullptr);
    BOOST_TEST_REQUIRE(r.status == FWM_OK, r.message);
    const auto doc = parse_json(r.summary);
    const auto& fleet = doc["fleet"];
    BOOST_TEST(std::string(fleet["inventory"]["attempt"]["status_name"].GetString()) == "FWM_OK");
    BOOST_TEST(std::string(fleet["usage"]["attempt"]["status_name"].GetString()) == "FWM_OK");
    BOOST_TEST(fleet["inventory"]["last_good"]["deployments"].Size() == 2u);
    BOOST_TEST(fleet["first_run"]["missing"].Size() == 0u);
    const std::string all = all_batches(r);
    for (const char* tag : {"accelerator_type:NVIDIA_H100_80GB", "deployment_name:Llama prod", "region:EUROPE"})
        BOOST_TEST(all.find(tag) != std::string::npos, tag);
    BOOST_TEST(fs.count("/deployments?pageSize=200") == 2u);
    BOOST_TEST(fs.count("/billingUsage?") == 1u);
    // Later runs never wait, and say nothing of a first run.
    const auto next = c.collect(nullptr);
    BOOST_TEST(parse_json(next.summary)["fleet"]["first_run"].IsNull());
}

BOOST_AUTO_TEST_CASE(a_slow_or_hanging_api_delays_only_the_first_run_and_never_past_timeout)
{
    for (const auto delay : {std::chrono::milliseconds(1500), std::chrono::milliseconds(30000)}) {
        BOOST_TEST_CONTEXT("the deployments API answers after " << delay.count() << " ms")
        {
            FleetServer fs;
            fs.set_deployments([delay](const RequestRecord&) {
                Reply reply;
                reply.body = kPage2;
                reply.delay = delay;
                return reply;
            });
            Collector c(client_json(fs.server.url(), "\"timeout\":3,\"fleet\":{\"collect_inventory\":true}").c_str());
            auto t0 = Clock::now();
            auto r = c.collect(nullptr);
            double s = std::chrono::duration<double>(Clock::now() - t0).count();
            BOOST_TEST(r.status == FWM_OK, r.message); // the metrics are there either way
            BOOST_TEST(all_batches(r).find("deployment_id:") != std::string::npos);
            const auto doc = parse_json(r.summary);
            const auto& first = doc["fleet"]["first_run"];
            if (delay.count() < 3000) {
                BOOST_TEST(s >= 1.4, "the first run did not wait for the inventory: " << s << " s");
                BOOST_TEST(first["missing"].Size() == 0u);
                BOOST_TEST(all_batches(r).find("deployment_name:Qwen") == std::string::npos); // the batches were taken
            } else {
                BOOST_TEST(s < 3.0 + 1.0, "the first run took " << s << " s with timeout 3 s");
                // Still waiting when the run ended, or failed by its own deadline: said either way.
                const auto& attempt = doc["fleet"]["inventory"]["attempt"];
                const bool missing = first["missing"].Size() == 1u;
                const bool timed_out = attempt.IsObject() && std::string(attempt["message"].GetString()).find("api_endpoint") != std::string::npos;
                BOOST_TEST((missing || timed_out));
            }
            // Later runs never wait.
            for (int i = 0; i < 2; ++i) {
                t0 = Clock::now();
                r = c.collect(nullptr);
                s = std::chrono::duration<double>(Clock::now() - t0).count();
                BOOST_TEST(r.status == FWM_OK, r.message);
                BOOST_TEST(s < 1.0, "run " << i + 2 << " took " << s << " s");
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(freeing_an_instance_during_its_first_wait_ends_it_at_once)
{
    FleetServer fs;
    fs.set_deployments([](const RequestRecord&) {
        Reply reply;
        reply.mode = Reply::Mode::never;
        return reply;
    });
    Collector c(fs.config("\"collect_inventory\":true").c_str());
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        c.cancel();
    });
    const auto t0 = Clock::now();
    const auto r = c.collect(nullptr);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    canceller.join();
    BOOST_TEST(s < 1.5, "the first run went on for " << s << " s after cancel()");
    // And freeing one does not wait for the answer either.
    const auto t1 = Clock::now();
    {
        Collector gone(fs.config("\"collect_inventory\":true,\"inventory_interval\":11").c_str());
        gone.cancel(); // as the Agent unschedules: cancel, then free
    }
    BOOST_TEST(std::chrono::duration<double>(Clock::now() - t1).count() < 0.5);
}

BOOST_AUTO_TEST_CASE(instances_of_one_account_share_one_refresh)
{
    FleetServer fs;
    const std::string account = fwm::test::unique_account();
    const std::string config =
        client_json(fs.server.url(), "\"fleet\":{\"collect_inventory\":true,\"collect_usage\":true}", account);
    const std::size_t before = fwm::fleet::Refresher::count();
    {
        std::vector<std::unique_ptr<Collector>> instances;
        for (int i = 0; i < 5; ++i)
            instances.push_back(std::make_unique<Collector>(config.c_str()));
        BOOST_TEST(fwm::fleet::Refresher::count() == before + 1);
        for (auto& c : instances) {
            const auto r = c->collect(nullptr);
            BOOST_TEST(all_batches(r).find("deployment_name:Llama prod") != std::string::npos);
        }
        // One listing (two pages) and one usage reading for all five.
        BOOST_TEST(fs.count("/deployments?") == 2u);
        BOOST_TEST(fs.count("/billingUsage?") == 1u);
        // Another account, or other options, get their own.
        Collector other(client_json(fs.server.url(), "\"fleet\":{\"collect_inventory\":true}", account).c_str());
        BOOST_TEST(fwm::fleet::Refresher::count() == before + 2);
    }
    BOOST_TEST(fwm::fleet::Refresher::count() == before);
}

BOOST_AUTO_TEST_CASE(every_fault_keeps_the_last_good_inventory_and_says_why)
{
    FleetServer fs;
    Collector c(fs.config("\"collect_inventory\":true,\"inventory_interval\":60").c_str());
    auto doc = collect_until_attempt(c, "inventory", 0);
    BOOST_TEST(doc["fleet"]["inventory"]["last_good"]["deployments"].Size() == 2u);
    // The faults, each as a fresh instance would meet it.
    struct Fault {
        const char* what;
        std::function<Reply(const RequestRecord&)> reply;
        const char* status;
        const char* message;
    };
    const Fault faults[] = {
        {"401", [](const RequestRecord&) { Reply r; r.status = 401; return r; }, "FWM_ERR_HTTP_UNAUTHORIZED", "check api_key"},
        {"403", [](const RequestRecord&) { Reply r; r.status = 403; return r; }, "FWM_ERR_HTTP_FORBIDDEN", "may not read"},
        {"404", [](const RequestRecord&) { Reply r; r.status = 404; return r; }, "FWM_ERR_HTTP_NOT_FOUND", "api_endpoint"},
        {"503", [](const RequestRecord&) { Reply r; r.status = 503; return r; }, "FWM_ERR_HTTP_SERVER", "HTTP 503"},
        {"429", [](const RequestRecord&) { Reply r; r.status = 429; r.headers.emplace_back("Retry-After", "120"); return r; },
         "FWM_ERR_RATE_LIMITED", "not asking again for 120 s"},
        {"html", [](const RequestRecord&) { Reply r; r.body = "<html>maintenance</html>"; return r; }, "FWM_ERR_PROTOCOL",
         "not valid JSON"},
        {"list", [](const RequestRecord&) { Reply r; r.body = "[]"; return r; }, "FWM_ERR_PROTOCOL", "a list, not a mapping"},
        {"cut", [](const RequestRecord&) { Reply r; r.mode = Reply::Mode::close_mid_body; r.body = std::string(4000, ' ') + kPage1; return r; },
         "FWM_ERR_NETWORK", "listing deployments"},
    };
    for (const auto& f : faults) {
        BOOST_TEST_CONTEXT(f.what)
        {
            FleetServer bad;
            bad.set_deployments(f.reply);
            Collector fresh(bad.config("\"collect_inventory\":true").c_str());
            auto d = collect_until_attempt(fresh, "inventory", 0);
            const auto& inv = d["fleet"]["inventory"];
            BOOST_TEST(std::string(inv["attempt"]["status_name"].GetString()) == f.status);
            const std::string message = inv["attempt"]["message"].GetString();
            BOOST_TEST(message.find(f.message) != std::string::npos, message);
            BOOST_TEST(message.find("listing deployments (GET /v1/accounts/") == 0u, message);
            BOOST_TEST(message.find("/deployments on api_endpoint https://") != std::string::npos, message);
            BOOST_TEST(message.find(kSecretKey) == std::string::npos);
            BOOST_TEST(inv["last_good"].IsNull());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_server_that_pages_for_ever_is_stopped)
{
    FleetServer fs;
    fs.set_deployments([](const RequestRecord&) {
        Reply r;
        r.body = R"({"deployments": [{"name": "accounts/x/deployments/dep0"}], "nextPageToken": "same"})";
        return r;
    });
    Collector c(fs.config("\"collect_inventory\":true").c_str());
    auto doc = collect_until_attempt(c, "inventory", 0);
    const auto& good = doc["fleet"]["inventory"]["last_good"];
    BOOST_TEST(good["pages"].GetUint() == 2u);
    BOOST_TEST(good["complete"].IsFalse()); // the check then creates and deletes nothing from it
    BOOST_TEST(good["deployments"].Size() == 1u); // listed twice, kept once
    const std::string first = good["problems"]["first"][0].GetString();
    BOOST_TEST(first.find("same page token twice") != std::string::npos, first);
}

BOOST_AUTO_TEST_CASE(a_listing_cut_by_a_failed_page_or_the_budget_keeps_what_it_read)
{
    // Page 2 fails: page 1's deployment is kept, and said.
    {
        FleetServer fs;
        fs.set_deployments([](const RequestRecord& r) {
            Reply reply;
            if (r.target.find("pageToken=") != std::string::npos)
                reply.status = 403;
            else
                reply.body = kPage1;
            return reply;
        });
        Collector c(fs.config("\"collect_inventory\":true").c_str());
        const auto r = c.collect(nullptr);
        const auto doc = parse_json(r.summary);
        const auto& inv = doc["fleet"]["inventory"];
        BOOST_TEST(std::string(inv["attempt"]["status_name"].GetString()) == "FWM_ERR_HTTP_FORBIDDEN");
        const std::string message = inv["attempt"]["message"].GetString();
        BOOST_TEST(message.find("kept the 1 deployments of the 1 page(s) read") != std::string::npos, message);
        BOOST_TEST_REQUIRE(inv["last_good"].IsObject());
        BOOST_TEST(inv["last_good"]["complete"].IsFalse());
        BOOST_TEST(inv["last_good"]["deployments"].Size() == 1u);
        BOOST_TEST(all_batches(r).find("deployment_name:Llama prod") != std::string::npos);
    }
    // Endless distinct tokens against a budget of 3 requests a minute: the
    // budget stops it, and the three pages read are kept.
    {
        FleetServer fs;
        std::atomic<int> n{0};
        fs.set_deployments([&](const RequestRecord&) {
            Reply reply;
            const int i = n++;
            reply.body = R"({"deployments": [{"name": "accounts/x/deployments/d)" + std::to_string(i) +
                         R"("}], "nextPageToken": "t)" + std::to_string(i) + "\"}";
            return reply;
        });
        Collector c(fs.config("\"collect_inventory\":true,\"api_max_requests_per_minute\":3").c_str());
        const auto doc = parse_json(c.collect(nullptr).summary);
        const auto& inv = doc["fleet"]["inventory"];
        BOOST_TEST(std::string(inv["attempt"]["status_name"].GetString()) == "FWM_ERR_RATE_LIMITED");
        BOOST_TEST_REQUIRE(inv["last_good"].IsObject());
        BOOST_TEST(inv["last_good"]["deployments"].Size() == 3u);
        BOOST_TEST(inv["last_good"]["complete"].IsFalse());
        BOOST_TEST(fs.count("/deployments") == 3u);
    }
}

BOOST_AUTO_TEST_CASE(usage_asks_for_the_utc_day_and_keeps_token_counts_exact)
{
    FleetServer fs;
    Collector c(fs.config("\"collect_usage\":true").c_str());
    auto doc = collect_until_attempt(c, "usage", 0);
    const auto& usage = doc["fleet"]["usage"]["last_good"];
    const std::string day = usage["day"].GetString();
    const std::time_t now = std::time(nullptr);
    BOOST_TEST(day == fwm::fleet::utc_day_start(now).substr(0, 10));
    BOOST_TEST(fs.count("/billingUsage?startTime=" + day + "T00%3A00%3A00Z&endTime=") == 1u);
    BOOST_TEST(usage["tokens"][0]["prompt"].GetUint64() == 900719925474099300ull); // past 2^53
    BOOST_TEST(usage["accelerator_seconds"][0]["value"].GetDouble() == 3600.0);
    BOOST_TEST(doc["fleet"]["inventory"].IsNull());
    BOOST_TEST(usage["day_before"].IsNull()); // read again only at the first reading of a new day
}

BOOST_AUTO_TEST_CASE(api_endpoint_follows_the_metrics_origin_unless_set)
{
    const auto api = [](const std::string& metrics, const std::string& fleet) {
        std::string error;
        const auto url = fwm::http::parse_url(metrics, error);
        BOOST_TEST_REQUIRE(url.has_value(), error);
        rapidjson::Document doc;
        doc.Parse(("{" + fleet + "}").c_str());
        const auto o = fwm::fleet::read_fleet_options(&doc, *url);
        return o.api_endpoint.scheme + "://" + o.api_endpoint.authority() + o.api_endpoint.target;
    };
    // Neither set: the metrics default is Fireworks' own, and so is the API.
    BOOST_TEST(api("https://api.fireworks.ai/v1/accounts/a/metrics", "") == "https://api.fireworks.ai/");
    // A proxy, regional or test endpoint serves both: scheme, host and port follow.
    BOOST_TEST(api("http://127.0.0.1:8080/fw/v1/accounts/a/metrics?x=1", "") == "http://127.0.0.1:8080/");
    BOOST_TEST(api("https://[::1]:9443/m", "") == "https://[::1]:9443/");
    BOOST_TEST(api("https://eu.example.com/m", "") == "https://eu.example.com/");
    // Set, it wins.
    BOOST_TEST(api("http://127.0.0.1:8080/m", "\"api_endpoint\":\"https://api.fireworks.ai\"") == "https://api.fireworks.ai/");
}

#ifndef _WIN32 // through Debian's tinyproxy, a Linux program
BOOST_AUTO_TEST_CASE(the_rest_api_takes_the_proxy_and_no_proxy_as_the_metrics_do)
{
    FleetServer fs;
    const std::string port = std::to_string(fs.server.port());
    {
        Tinyproxy proxy;
        Collector c(client_json(fs.server.url(), proxy_json(proxy.port()) + ",\"fleet\":{\"collect_inventory\":true}").c_str());
        const auto r = c.collect(nullptr);
        BOOST_TEST_REQUIRE(r.status == FWM_OK, r.message);
        BOOST_TEST(std::string(parse_json(r.summary)["fleet"]["inventory"]["attempt"]["status_name"].GetString()) == "FWM_OK");
        // One tunnel for the metrics, one for the REST API (its own connection).
        const std::string log = proxy.log();
        std::size_t tunnels = 0;
        for (auto at = log.find("CONNECT localhost:" + port); at != std::string::npos; at = log.find("CONNECT localhost:" + port, at + 1))
            ++tunnels;
        BOOST_TEST(tunnels >= 2u, log);
    }
    {
        Tinyproxy proxy;
        Collector c(client_json(fs.server.url(), proxy_json(proxy.port(), "", "[\"localhost\"]") +
                                                     ",\"fleet\":{\"collect_inventory\":true}").c_str());
        const auto r = c.collect(nullptr);
        BOOST_TEST(std::string(parse_json(r.summary)["fleet"]["inventory"]["attempt"]["status_name"].GetString()) == "FWM_OK");
        BOOST_TEST(proxy.log().find("Request (") == std::string::npos, proxy.log());
    }
}
#endif

BOOST_AUTO_TEST_CASE(the_fleet_summary_stays_json_whatever_a_number_holds)
{
    fwm::fleet::Snapshot snap;
    auto usage = std::make_shared<fwm::fleet::UsageDay>();
    usage->day = "2026-11-27";
    usage->fetched_at = std::numeric_limits<double>::quiet_NaN();
    usage->usage.accelerator_seconds[{"d", "A"}] = std::numeric_limits<double>::infinity();
    snap.usage = usage;
    fwm::fleet::FleetOptions o;
    o.usage = true;
    const auto doc = parse_json(fwm::fleet::fleet_json(snap, o));
    BOOST_TEST(doc["usage"]["last_good"]["accelerator_seconds"][0]["value"].IsNull());
    BOOST_TEST(doc["usage"]["last_good"]["fetched_at"].IsNull());
}

#ifndef _WIN32 // through Debian's tinyproxy, a Linux program
BOOST_AUTO_TEST_CASE(instances_whose_rest_api_goes_through_different_proxies_do_not_share)
{
    // The metrics go direct (no_proxy: localhost); the REST API, at
    // 127.0.0.1, through each instance's own proxy.
    FleetServer fs;
    Tinyproxy first, second;
    const std::string account = fwm::test::unique_account();
    const auto config = [&](const Tinyproxy& p) {
        return client_json(fs.server.url(), proxy_json(p.port(), "", "[\"localhost\"]") +
                                                ",\"fleet\":{\"collect_inventory\":true,\"api_endpoint\":\"" +
                                                fs.server.url("", "127.0.0.1") + "\"}",
                           account);
    };
    const std::size_t before = fwm::fleet::Refresher::count();
    Collector a(config(first).c_str()), b(config(second).c_str());
    BOOST_TEST(fwm::fleet::Refresher::count() == before + 2);
    for (Collector* c : {&a, &b}) {
        const auto r = c->collect(nullptr);
        BOOST_TEST(std::string(parse_json(r.summary)["fleet"]["inventory"]["attempt"]["status_name"].GetString()) == "FWM_OK");
    }
    const std::string tunnel = "CONNECT 127.0.0.1:" + std::to_string(fs.server.port());
    BOOST_TEST(first.log().find(tunnel) != std::string::npos, first.log());
    BOOST_TEST(second.log().find(tunnel) != std::string::npos, second.log());
}
#endif

BOOST_AUTO_TEST_CASE(rest_answers_are_decoded_and_read_off_the_io_thread)
{
    // The I/O thread carries every instance's network work: a large answer
    // decoded or read there would hold up every scrape in the process.
    FleetServer fs;
    auto config = fwm::http::read_client_config(client_json(fs.server.url()).c_str());
    config.purpose = fwm::http::Purpose::api;
    fwm::http::Client client(config);
    const auto io_thread = fwm::http::Runtime::acquire()->thread_id();
    std::promise<std::pair<std::thread::id, int>> done;
    client.collect_async("/v1/accounts/x/deployments?pageSize=200", [&](fwm::http::Collected got) {
        done.set_value({std::this_thread::get_id(), got.info.status});
    });
    auto f = done.get_future();
    BOOST_TEST_REQUIRE((f.wait_for(std::chrono::seconds(10)) == std::future_status::ready));
    const auto [where, status] = f.get();
    BOOST_TEST(status == FWM_OK);
    BOOST_TEST((where != io_thread));
    BOOST_TEST((where != std::this_thread::get_id()));
}

BOOST_AUTO_TEST_CASE(fleet_options_are_checked_by_name)
{
    const auto message = [](const std::string& fleet, const std::string& account = "") {
        try {
            Collector c(client_json("https://localhost:1/m", "\"fleet\":{" + fleet + "}", account).c_str());
        } catch (const fwm::util::OptionError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    BOOST_TEST(message("\"collect_inventory\":\"yes\"") == "option 'collect_inventory' must be true or false, not a string");
    BOOST_TEST(message("\"inventory_interval\":5").find("option 'inventory_interval' must be a whole number from 10") == 0u);
    BOOST_TEST(message("\"annotation_tags\":{\"owner\":\"env\"}").find("option 'annotation_tags.owner' names 'env'") == 0u);
    BOOST_TEST(message("\"annotation_tags\":{\"owner\":\"Team Name\"}").find("must be a tag name") != std::string::npos);
    BOOST_TEST(message("\"annotation_tags\":{\"where\":\"region\"}").find("names 'region'") != std::string::npos);
    BOOST_TEST(message("\"api_endpoint\":\"https://api.fireworks.ai/v1\"").find("must be an origin") != std::string::npos);
    BOOST_TEST(message("\"colect_inventory\":true") == "unknown option 'colect_inventory'");
    BOOST_TEST(message("\"collect_inventory\":false") == "accepted");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fleet_refresh_day)

BOOST_AUTO_TEST_CASE(the_first_reading_of_a_day_reads_the_day_before_once_more)
{
    // Usage by day: the 27th ends at 1800 s, the 28th starts at 200 s.
    std::atomic<bool> fail_28th{false};
    TestServer server({true, pki().server}, [&](const RequestRecord& r, std::size_t) {
        Reply reply;
        const bool day27 = r.target.find("startTime=2026-11-27T00%3A00%3A00Z") != std::string::npos;
        if (fail_28th.load() && r.target.find("startTime=2026-11-28T00%3A00%3A00Z") != std::string::npos) {
            reply.status = 404;
            return reply;
        }
        reply.body = std::string(R"({"dedicatedCosts": [{"deploymentId": "d1", "acceleratorType": "A", "acceleratorSeconds": ")") +
                     (day27 ? "1800" : "200") + R"("}]})";
        return reply;
    });
    std::atomic<double> clock{*fwm::fleet::parse_rfc3339("2026-11-27T23:50:00Z")};
    fwm::fleet::FleetOptions o;
    o.usage = true;
    o.usage_interval = std::chrono::seconds(3600); // refresh_now() reads
    o.api_endpoint = *fwm::http::parse_url(server.url(""), *std::make_unique<std::string>());
    o.wall_clock = [&] { return clock.load(); };
    const auto config = fwm::http::read_client_config(client_json(server.url()).c_str());
    fwm::fleet::Refresher refresher(config, o);
    refresher.start();
    const auto read = [&](std::uint64_t sequence) {
        if (sequence > 1)
            refresher.refresh_now();
        const auto until = Clock::now() + std::chrono::seconds(10);
        for (;;) {
            auto snap = refresher.snapshot();
            if (snap.usage_attempt.sequence >= sequence)
                return snap;
            BOOST_TEST_REQUIRE((Clock::now() < until));
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    };
    auto snap = read(1);
    BOOST_TEST_REQUIRE(snap.usage != nullptr);
    BOOST_TEST(snap.usage->day == "2026-11-27");
    BOOST_TEST(snap.usage->day_before == nullptr);
    BOOST_TEST(snap.usage_attempt.requests == 1u);
    clock = *fwm::fleet::parse_rfc3339("2026-11-28T00:05:00Z");
    snap = read(2);
    BOOST_TEST(snap.usage->day == "2026-11-28");
    BOOST_TEST_REQUIRE(snap.usage->day_before != nullptr);
    BOOST_TEST(snap.usage->day_before->day == "2026-11-27");
    BOOST_TEST((snap.usage->day_before->usage.accelerator_seconds.at({"d1", "A"}) == 1800.0));
    BOOST_TEST((snap.usage->usage.accelerator_seconds.at({"d1", "A"}) == 200.0));
    BOOST_TEST(snap.usage_attempt.requests == 2u);
    // Later readings of the same day keep it without asking again.
    snap = read(3);
    BOOST_TEST(snap.usage->day_before != nullptr);
    BOOST_TEST(snap.usage_attempt.requests == 1u);
    // When the day before cannot be read, the new day is still read, and it is said.
    fail_28th = true;
    clock = *fwm::fleet::parse_rfc3339("2026-11-29T00:01:00Z");
    snap = read(4);
    BOOST_TEST(snap.usage->day == "2026-11-29");
    BOOST_TEST(snap.usage->day_before == nullptr);
    BOOST_TEST(snap.usage_attempt.status == FWM_OK);
    std::size_t noted = 0;
    for (const auto& p : snap.usage->usage.problems.first)
        noted += p.find("the final totals of 2026-11-28 could not be read") == 0;
    BOOST_TEST(noted == 1u);
    BOOST_TEST(server.requests().back().target.find("startTime=2026-11-28T00%3A00%3A00Z") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// Many instances in one process: a ctest entry of its own, so that the
// accounts they leave for a minute do not meet another suite's fork()
// (ThreadSanitizer tracks at most 64 mutexes held at once, and the fork
// handlers hold every account's).
BOOST_AUTO_TEST_SUITE(fleet_scale)

std::size_t entries(const char* dir)
{
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir))
        ++n;
    return n;
}

// The process's threads.
std::size_t thread_count()
{
#ifdef _WIN32
    const HANDLE snapshot = ::CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    THREADENTRY32 e{};
    e.dwSize = sizeof e;
    std::size_t n = 0;
    for (BOOL more = ::Thread32First(snapshot, &e); more; more = ::Thread32Next(snapshot, &e))
        n += e.th32OwnerProcessID == ::GetCurrentProcessId();
    ::CloseHandle(snapshot);
    return n;
#else
    return entries("/proc/self/task");
#endif
}

// Threads Windows itself may add to the process and keep (the system
// thread pool behind Winsock, Asio's IOCP timer thread): none on Linux.
#ifdef _WIN32
constexpr std::size_t kSystemThreads = 2;
#else
constexpr std::size_t kSystemThreads = 0;
#endif

// The process's open descriptors, on Linux. Windows' handle count is not
// one (and Wine's GetProcessHandleCount answers 0): there the descriptor
// checks are left out, and say so.
#ifdef _WIN32
constexpr bool kCountsDescriptors = false;
#else
constexpr bool kCountsDescriptors = true;
#endif

std::size_t descriptor_count()
{
#ifdef _WIN32
    return 0;
#else
    return entries("/proc/self/fd");
#endif
}

void check_descriptors(std::size_t now, std::size_t at_most, const char* when, std::size_t before)
{
    if (kCountsDescriptors)
        BOOST_TEST(now <= at_most, now << " descriptors " << when << ", " << before << " before");
    else
        BOOST_TEST_MESSAGE("descriptors " << when << ": not counted on Windows");
}

// Waits up to `seconds` for `now()` to fall to `at_most`; returns its last value.
template <class Now>
std::size_t settle(Now now, std::size_t at_most, double seconds)
{
    const auto until = Clock::now() + std::chrono::duration<double>(seconds);
    std::size_t n = now();
    while (n > at_most && Clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        n = now();
    }
    return n;
}

BOOST_AUTO_TEST_CASE(two_hundred_instances_cost_no_thread_each_and_leave_nothing_behind)
{
    FleetServer fs;
    const auto threads = [] { return thread_count(); };
    const auto fds = [] { return descriptor_count(); };
    // Whatever earlier cases left running (abandoned work) ends first.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const std::size_t threads_before = threads(), fds_before = fds(), refreshers_before = fwm::fleet::Refresher::count();
    std::vector<std::string> accounts;
    for (int i = 0; i < 20; ++i)
        accounts.push_back(fwm::test::unique_account());
    {
        std::vector<std::unique_ptr<Collector>> instances;
        for (int i = 0; i < 200; ++i)
            instances.push_back(std::make_unique<Collector>(
                client_json(fs.server.url(), "\"fleet\":{\"collect_inventory\":true,\"collect_usage\":true}",
                            accounts[static_cast<std::size_t>(i) % accounts.size()])
                    .c_str()));
        for (auto& c : instances) {
            const auto r = c->collect(nullptr);
            BOOST_TEST_REQUIRE(r.status == FWM_OK, r.message);
            BOOST_TEST(all_batches(r).find("deployment_name:") != std::string::npos);
        }
        // One refresher per account, one listing and one usage reading per account.
        BOOST_TEST(fwm::fleet::Refresher::count() == refreshers_before + 20);
        BOOST_TEST(fs.count("/deployments?pageSize=200") == 40u); // two pages each
        BOOST_TEST(fs.count("/billingUsage?") == 20u);
        // The I/O thread (and a name lookup finishing) at most; idle connections are capped.
        const std::size_t t = settle(threads, threads_before + 2 + kSystemThreads, 2.0);
        BOOST_TEST(t <= threads_before + 2 + kSystemThreads, t << " threads with 200 instances, " << threads_before << " before");
        // The test server runs in this process and holds the other end of each.
        check_descriptors(fds(), fds_before + 2 * fwm::http::Client::kMaxIdleConnections + 8, "with 200 instances",
                          fds_before);
    }
    BOOST_TEST(fwm::fleet::Refresher::count() == refreshers_before);
    const std::size_t t = settle(threads, threads_before + kSystemThreads, 2.0);
    BOOST_TEST(t <= threads_before + kSystemThreads, t << " threads after freeing, " << threads_before << " before");
    check_descriptors(settle(fds, fds_before, 2.0), fds_before, "after freeing", fds_before);
}

BOOST_AUTO_TEST_CASE(churn_leaves_no_refresher_thread_or_descriptor)
{
    FleetServer fs;
    const auto threads = [] { return thread_count(); };
    const auto fds = [] { return descriptor_count(); };
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const std::size_t threads_before = threads(), fds_before = fds(), refreshers_before = fwm::fleet::Refresher::count();
    const std::string account = fwm::test::unique_account();
    const std::string config =
        client_json(fs.server.url(), "\"fleet\":{\"collect_inventory\":true,\"collect_usage\":true}", account);
    for (int i = 0; i < 500; ++i) {
        Collector c(config.c_str());
        if (i % 5 == 0)
            c.collect(nullptr); // some run (their first run waits), all are cancelled, then freed
        c.cancel();
    }
    BOOST_TEST(fwm::fleet::Refresher::count() == refreshers_before);
    const std::size_t t = settle(threads, threads_before + kSystemThreads, 2.0);
    BOOST_TEST(t <= threads_before + kSystemThreads, t << " threads after churn, " << threads_before << " before");
    check_descriptors(settle(fds, fds_before, 2.0), fds_before, "after churn", fds_before);
}

BOOST_AUTO_TEST_SUITE_END()
