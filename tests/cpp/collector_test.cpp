// The collect pipeline from C++, without the C ABI: one Collector scrapes,
// parses, maps and renders what fwm_client_collect hands over.
#include <boost/test/unit_test.hpp>

#include <set>

#include <rapidjson/document.h>

#include "client_support.hpp"
#include "collector/collector.hpp"
#include "util/option_error.hpp"
#include "util/status.hpp"

using namespace fwm::test;
using fwm::collector::Collector;

BOOST_AUTO_TEST_SUITE(collector)

BOOST_AUTO_TEST_CASE(one_collect_scrapes_parses_maps_and_renders)
{
    TestServer server({true, pki().server});
    Collector c(client_json(server.url(), "\"mapping\":{\"tags\":[\"env:test\"]}").c_str());
    const auto r = c.collect(R"({"samples":true})");
    BOOST_TEST(r.status == FWM_OK, r.message);
    BOOST_TEST(r.message.empty());
    const auto summary = parse_json(r.summary);
    BOOST_TEST(summary["samples"].GetUint() == 22u); // two deployments of 11 series
    BOOST_TEST(std::string(summary["collection"]["status"].GetString()) == "FWM_OK");
    BOOST_TEST(!r.samples.empty());
    BOOST_TEST(summary["mapping"]["groups"].GetUint() == 4u); // per deployment: one tag set, and one with http_code
    BOOST_TEST_REQUIRE(r.submissions != nullptr);
    std::string all, batch;
    std::vector<double> values;
    std::size_t batches = 0;
    while (r.submissions->next_batch(batch, values)) {
        const auto doc = parse_json(batch);
        BOOST_TEST(doc["names"].IsArray());
        BOOST_TEST(doc["groups"].Size() > 0u);
        all += batch;
        ++batches;
    }
    BOOST_TEST(batches == 1u);
    BOOST_TEST(all.find("env:test") != std::string::npos);
    BOOST_TEST(all.find(kSecretKey) == std::string::npos);
    BOOST_TEST(r.summary.find(kSecretKey) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(batches_hold_whole_groups_and_every_point_once)
{
    // 300 deployments x 11 series: several batches of about 4,096 points.
    TestServer server({true, pki().server}, [](const RequestRecord&, std::size_t) { return metrics_reply(300); });
    Collector c(client_json(server.url()).c_str());
    const auto r = c.collect(nullptr);
    BOOST_TEST_REQUIRE(r.status == FWM_OK, r.message);
    const auto summary = parse_json(r.summary);
    const std::size_t points = summary["mapping"]["points"].GetUint64();
    std::size_t seen = 0, batches = 0;
    std::set<std::string> tag_sets;
    std::string batch;
    std::vector<double> values;
    while (r.submissions->next_batch(batch, values)) {
        ++batches;
        std::size_t in_batch = 0, consumed = 0;
        const auto doc = parse_json(batch);
        const auto& names = doc["names"];
        for (const auto& g : doc["groups"].GetArray()) {
            BOOST_TEST_REQUIRE(g.Size() == 4u); // tags, gauge names, count names, bucket names
            std::string tags;
            for (const auto& t : g[0].GetArray())
                tags += std::string(t.GetString()) + ",";
            BOOST_TEST(tag_sets.insert(tags).second, "a tag set came twice: " << tags);
            for (unsigned k : {1u, 2u, 3u})
                for (const auto& n : g[k].GetArray())
                    BOOST_TEST(n.GetUint() < names.Size());
            in_batch += g[1].Size() + g[2].Size() + g[3].Size();
            consumed += g[1].Size() + g[2].Size() + 3 * g[3].Size(); // a bucket: count, lower, upper
        }
        BOOST_TEST(consumed == values.size());
        BOOST_TEST(in_batch > 0u);
        seen += in_batch;
    }
    BOOST_TEST(seen == points);
    BOOST_TEST(batches > 1u);
    BOOST_TEST(batches <= points / fwm::collector::Submissions::kBatchPoints + 1);
    BOOST_TEST(tag_sets.size() == summary["mapping"]["groups"].GetUint64());
    BOOST_TEST(tag_sets.size() == 600u); // per deployment: one tag set, and one with http_code
    BOOST_TEST(!r.submissions->next_batch(batch, values)); // exhausted stays exhausted
    BOOST_TEST(values.empty());
}

BOOST_AUTO_TEST_CASE(the_configuration_is_read_once_and_its_errors_name_the_option)
{
    try {
        Collector c(R"({"api_key":"k","account_id":"a","mapping":{"quantiles":"p99"}})");
        BOOST_ERROR("accepted");
    } catch (const fwm::util::OptionError& e) {
        BOOST_TEST(std::string(e.what()) == "option 'quantiles' must be a list of numbers above 0 and at most 1");
    }
    Collector c(R"({"api_key":"k","account_id":"acme-1","timeout":2.5})");
    BOOST_TEST(c.client_config().timeout.count() == 2500);
    BOOST_TEST(c.client_config().endpoint.target == "/v1/accounts/acme-1/metrics");
}

BOOST_AUTO_TEST_CASE(every_failure_reports_its_facts_and_no_submissions)
{
    TestServer server({true, pki().server}, [](const RequestRecord&, std::size_t) {
        Reply r;
        r.status = 401;
        return r;
    });
    Collector c(client_json(server.url()).c_str());
    for (const char* options : {"", R"({"max_errors":-1})"}) {
        const auto r = c.collect(options);
        BOOST_TEST(r.status != FWM_OK);
        BOOST_TEST(!r.message.empty());
        BOOST_TEST(r.submissions == nullptr);
        if (*options == '\0') { // bad options fail before any collection
            const auto summary = parse_json(r.summary);
            BOOST_TEST(std::string(summary["collection"]["status"].GetString()) == "FWM_ERR_HTTP_UNAUTHORIZED");
            BOOST_TEST(std::string(summary["collection"]["message"].GetString()) == r.message);
            BOOST_TEST(summary["mapping"].IsNull());
        }
    }
}

BOOST_AUTO_TEST_CASE(after_cancel_every_collection_ends_at_once)
{
    TestServer server({true, pki().server}, [](const RequestRecord&, std::size_t) {
        Reply r = metrics_reply();
        r.mode = Reply::Mode::never;
        return r;
    });
    Collector c(client_json(server.url(), "\"timeout\":5").c_str());
    c.cancel();
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = c.collect(nullptr);
    BOOST_TEST(std::string(fwm::util::status_name(r.status)) == "FWM_ERR_CANCELLED");
    BOOST_TEST(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 0.5);
}

BOOST_AUTO_TEST_SUITE_END()
