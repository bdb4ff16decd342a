// The collect pipeline from C++, without the C ABI: one Collector scrapes,
// parses, maps and renders what fwm_client_collect hands over.
#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include "client_support.hpp"
#include "collector/collector.hpp"
#include "util/option_error.hpp"
#include "util/status.hpp"

using namespace fwm::test;
using fwm::collector::Collector;

namespace {

rapidjson::Document json(const std::string& text)
{
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseNanAndInfFlag>(text.c_str());
    BOOST_TEST_REQUIRE(!doc.HasParseError(), text.substr(0, 200));
    return doc;
}

} // namespace

BOOST_AUTO_TEST_SUITE(collector)

BOOST_AUTO_TEST_CASE(one_collect_scrapes_parses_maps_and_renders)
{
    TestServer server({true, pki().server});
    Collector c(client_json(server.url(), "\"mapping\":{\"tags\":[\"env:test\"]}").c_str());
    const auto r = c.collect(R"({"samples":true})");
    BOOST_TEST(r.status == FWM_OK, r.message);
    BOOST_TEST(r.message.empty());
    const auto summary = json(r.summary);
    BOOST_TEST(summary["samples"].GetUint() == 22u); // two deployments of 11 series
    BOOST_TEST(std::string(summary["collection"]["status"].GetString()) == "FWM_OK");
    BOOST_TEST(!r.samples.empty());
    const auto sub = json(r.submissions);
    BOOST_TEST(sub["groups"].Size() > 0u);
    BOOST_TEST(sub["service_check"]["status"].GetInt() == 0);
    BOOST_TEST(r.submissions.find("env:test") != std::string::npos);
    BOOST_TEST(r.submissions.find(kSecretKey) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_configuration_is_read_once_and_its_errors_name_the_option)
{
    try {
        Collector c(R"({"api_key":"k","account_id":"a","mapping":{"quantiles":"p99"}})");
        BOOST_ERROR("accepted");
    } catch (const fwm::util::OptionError& e) {
        BOOST_TEST(std::string(e.what()) == "option 'quantiles' must be a list of numbers between 0 and 1");
    }
    Collector c(R"({"api_key":"k","account_id":"acme-1","timeout":2.5})");
    BOOST_TEST(c.client_config().timeout.count() == 2500);
    BOOST_TEST(c.client_config().endpoint.target == "/v1/accounts/acme-1/metrics");
}

BOOST_AUTO_TEST_CASE(every_failure_carries_a_critical_service_check)
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
        const auto sub = json(r.submissions);
        BOOST_TEST(sub["service_check"]["status"].GetInt() == 2);
        BOOST_TEST(std::string(sub["service_check"]["message"].GetString()) == r.message);
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
