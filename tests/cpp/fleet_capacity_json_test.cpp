// The readers of the account, quotas, usage costs and billing summary
// answers, money summed exactly, the quota names' mapping and the spend
// projection around month boundaries: pure functions, no network.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "fleet/capacity.hpp"
#include "fleet/costs.hpp"
#include "fleet/money.hpp"
#include "fleet/rfc3339.hpp"

using namespace fwm::fleet;

namespace {

double at(const char* rfc3339)
{
    return *parse_rfc3339(rfc3339);
}

rapidjson::Document doc(const char* text)
{
    rapidjson::Document d;
    d.Parse(text);
    return d;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_capacity_json)

BOOST_AUTO_TEST_CASE(the_account_is_read_in_either_case_and_unknown_fields_are_ignored)
{
    const auto a = parse_account(R"({"name": "accounts/acme", "displayName": "Acme", "state": "READY",
        "suspendState": "CREDIT_DEPLETED", "status": {"code": "OK", "message": ""}, "futureField": {"x": [1e999]}})");
    BOOST_TEST(a.state == "READY");
    BOOST_TEST(a.suspend_state == "CREDIT_DEPLETED");
    BOOST_TEST(a.status_code == "OK");
    BOOST_TEST(a.display_name == "Acme");
    const auto snake = parse_account(R"({"state": "UPDATING", "suspend_state": "FAILED_PAYMENTS"})");
    BOOST_TEST(snake.suspend_state == "FAILED_PAYMENTS");
    const auto wrong = parse_account(R"({"state": 7, "status": "bad"})");
    BOOST_TEST(wrong.state.empty());
    BOOST_TEST(wrong.problems.count == 2u);
    BOOST_CHECK_THROW(parse_account("[]"), std::runtime_error);
    BOOST_CHECK_THROW(parse_account("{\"state\":"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(suspend_states)
{
    for (const char* ok : {"", "UNSUSPENDED", "SUSPEND_STATE_UNSPECIFIED"})
        BOOST_TEST(!suspended(ok), ok);
    for (const char* bad : {"FAILED_PAYMENTS", "CREDIT_DEPLETED", "MONTHLY_SPEND_LIMIT_EXCEEDED",
                            "BLOCKED_BY_ABUSE_RULE", "SOMETHING_NEW"})
        BOOST_TEST(suspended(bad), bad);
}

BOOST_AUTO_TEST_CASE(quotas_come_as_strings_or_numbers_in_camel_or_snake_case)
{
    const auto page = parse_quotas_page(R"({"quotas": [
        {"name": "accounts/a/quotas/h100-us-iowa-1", "value": "8", "maxValue": "16", "usage": 6, "updateTime": "2026-12-01T00:00:00Z"},
        {"name": "accounts/a/quotas/monthly-spend-usd", "value": 1000, "max_value": 5000, "usage": "812.5"},
        {"name": "accounts/a/quotas/mystery-quota-id", "value": "-1", "usage": "x", "extra": true},
        {"value": "3"}, 7],
        "nextPageToken": "t/2", "totalSize": 9})");
    BOOST_REQUIRE_EQUAL(page.quotas.size(), 3u);
    BOOST_TEST(page.quotas[0].id == "h100-us-iowa-1");
    BOOST_TEST(*page.quotas[0].limit == 8.0);
    BOOST_TEST(*page.quotas[0].max_approved == 16.0);
    BOOST_TEST(*page.quotas[0].usage == 6.0);
    BOOST_TEST(*page.quotas[0].update_time == at("2026-12-01T00:00:00Z"));
    BOOST_TEST(*page.quotas[1].max_approved == 5000.0);
    BOOST_TEST(*page.quotas[1].usage == 812.5);
    BOOST_TEST(*page.quotas[2].limit == -1.0); // kept: an unknown id is reported as it is
    BOOST_TEST(!page.quotas[2].usage);
    BOOST_TEST(page.skipped == 2u);
    BOOST_TEST(page.next_page_token == "t/2");
    BOOST_TEST(unlimited(-1));
    BOOST_TEST(unlimited(9999999));
    BOOST_TEST(!unlimited(9999998));
    BOOST_CHECK_THROW(parse_quotas_page(R"({"quotas": {}})"), std::runtime_error);
    BOOST_CHECK_THROW(parse_quotas_page("{\"nextPageToken\": \"a\\nb\"}"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(gpu_quota_names_map_to_accelerator_types_and_regions)
{
    const auto q = gpu_quota("h100-us-iowa-1");
    BOOST_REQUIRE(q);
    BOOST_TEST(q->first == "h100");
    BOOST_TEST(q->second == "us-iowa-1");
    BOOST_TEST(gpu_quota("mi300x-eu-frankfurt-1")->first == "mi300x");
    // Only <letters and digits>-<letters>-...-<digits>: no guessing at other ids.
    for (const char* other : {"monthly-spend-usd", "serverless-inference-rpm", "training-h100-count", "h100",
                              "h100-us", "H100-us-iowa-1", "h100-us-iowa-x", "h100--iowa-1", "-us-iowa-1",
                              "h100-80gb-us-iowa-1", "lora-adapters-1", "100-us-iowa-1", "h100-us-iowa1-1"})
        BOOST_TEST(!gpu_quota(other), other);
    BOOST_TEST(accelerator_family("NVIDIA_H100_80GB") == "h100");
    BOOST_TEST(accelerator_family("NVIDIA_A100_40GB") == "a100");
    BOOST_TEST(accelerator_family("AMD_MI300X_192GB") == "mi300x");
    BOOST_TEST(accelerator_family("NVIDIA_B200") == "b200");
    for (const char* unknown : {"", "ACCELERATOR_TYPE_UNSPECIFIED", "H100", "ACME_X1", "NVIDIA_", "NVIDIA_H-100"})
        BOOST_TEST(accelerator_family(unknown).empty(), unknown);
    BOOST_TEST(region_slug("US_IOWA_1") == "us-iowa-1");
    BOOST_TEST(region_slug("EU_FRANKFURT_1") == "eu-frankfurt-1");
    for (const char* unknown : {"", "EUROPE", "REGION_UNSPECIFIED", "US+EU", "us-iowa-1"})
        BOOST_TEST(region_slug(unknown).empty(), unknown);
}

BOOST_AUTO_TEST_CASE(the_spend_projection_is_linear_in_the_utc_month_and_silent_on_its_first_day)
{
    // December has 31 days: 10 days in, 100 dollars project to 310.
    BOOST_TEST(*projected_month_end(100, at("2026-12-11T00:00:00Z")) == 310.0, boost::test_tools::tolerance(1e-9));
    // February 2028 (leap): 29 days; half way.
    BOOST_TEST(*projected_month_end(50, at("2028-02-15T12:00:00Z")) == 100.0, boost::test_tools::tolerance(1e-9));
    // The first 24 hours of a month say nothing, a second before midnight
    // on the last day projects the month to date itself (almost).
    BOOST_TEST(!projected_month_end(900, at("2027-01-01T00:00:00Z")));
    BOOST_TEST(!projected_month_end(900, at("2027-01-01T23:59:59Z")));
    BOOST_TEST(*projected_month_end(900, at("2027-01-02T00:00:00Z")) == 900.0 * 31, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(*projected_month_end(900, at("2026-12-31T23:59:59Z")) == 900.0, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(!projected_month_end(-1, at("2026-12-15T00:00:00Z")));
    BOOST_TEST(utc_month(at("2026-12-31T23:59:59Z")) == "2026-12");
    BOOST_TEST(utc_month(at("2027-01-01T00:00:00Z")) == "2027-01");
    const UtcMonth dec = utc_month_of(static_cast<std::int64_t>(at("2026-12-07T10:00:00Z")));
    BOOST_TEST(dec.start_text == "2026-12-01T00:00:00Z");
    BOOST_TEST(dec.end == static_cast<std::int64_t>(at("2027-01-01T00:00:00Z")));
}

BOOST_AUTO_TEST_CASE(money_is_exact_to_the_nano)
{
    Problems p;
    auto read = [&](const char* text) { return money_field(doc(text), "m", "x", p); };
    // A tenth, ten times: exactly one dollar (doubles give 0.9999999999999999).
    Money sum;
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(sum.add(*read(R"({"m": {"currencyCode": "USD", "nanos": 100000000}})")));
    BOOST_TEST(sum.text() == "1.000000000");
    BOOST_TEST(sum.value() == 1.0);
    BOOST_TEST(read(R"({"m": {"units": "12", "nanos": 340000000}})")->text() == "12.340000000");
    BOOST_TEST(read(R"({"m": {"units": 12}})")->text() == "12.000000000");
    BOOST_TEST(read(R"({"m": {"nanos": 1}})")->text() == "0.000000001");
    BOOST_TEST(read(R"({"m": {"units": "-3", "nanos": -500000000}})")->text() == "-3.500000000");
    BOOST_TEST(read(R"({"m": {"units": "-0", "nanos": -5}})")->text() == "-0.000000005");
    BOOST_TEST(read(R"({"m": {"units": "12"}})")->currency() == "USD");
    BOOST_TEST(read(R"({"m": {"units": "12", "currencyCode": "EUR"}})")->currency() == "EUR");
    const std::size_t before = p.count;
    for (const char* bad : {R"({"m": {"units": "1.5"}})", R"({"m": {"units": "1", "nanos": -1}})",
                            R"({"m": {"nanos": 1000000000}})", R"({"m": {"units": "99999999999999999999"}})",
                            R"({"m": "12"})", R"({"m": {"units": true}})"})
        BOOST_TEST(!read(bad), bad);
    BOOST_TEST(p.count == before + 6);
    // Currencies are never added together.
    Money usd = *read(R"({"m": {"units": "1"}})");
    BOOST_TEST(!usd.add(*read(R"({"m": {"units": "1", "currencyCode": "EUR"}})")));
    BOOST_TEST(usd.text() == "1.000000000");
    // A sum past an int64 of units is capped, and says so.
    Money big = *read(R"({"m": {"units": "9223372036854775807", "nanos": 999999999}})");
    BOOST_TEST(big.add(big));
    BOOST_TEST(big.capped());
    BOOST_TEST(big.text() == "9223372036854775807.000000000");
}

BOOST_AUTO_TEST_CASE(usage_costs_rows_by_model_and_key_with_freshness)
{
    const auto page = parse_costs_page(R"({"rows": [
        {"dimensions": {"startTime": "2026-12-07T00:00:00Z", "model": "accounts/fireworks/models/llama"},
         "subtotal": {"currencyCode": "USD", "units": "12", "nanos": 340000000}},
        {"dimensions": {"startTime": "2026-12-07T00:00:00Z", "apiKeyId": "key-1", "user": "users/alice"},
         "subtotal": {"units": 3, "nanos": 5}},
        {"dimensions": {"model": "m"}},
        {"dimensions": {"startTime": "yesterday"}, "subtotal": {"units": "1"}}],
        "subtotal": {"currencyCode": "USD", "units": "15"},
        "evaluationTime": "2026-12-07T10:00:00Z", "attributionCompleteness": "INCOMPLETE", "nextPageToken": "n"})");
    BOOST_REQUIRE_EQUAL(page.rows.size(), 3u);
    BOOST_TEST(page.rows[0].day == "2026-12-07");
    BOOST_TEST(page.rows[0].model == "accounts/fireworks/models/llama");
    BOOST_TEST(page.rows[0].amount.text() == "12.340000000");
    BOOST_TEST(page.rows[1].api_key_id == "key-1");
    BOOST_TEST(page.rows[1].user == "users/alice");
    BOOST_TEST(page.rows[1].amount.text() == "3.000000005");
    BOOST_TEST(page.rows[2].day.empty()); // an unreadable time is noted, the row kept
    BOOST_TEST(page.skipped == 1u);
    BOOST_TEST(page.subtotal->text() == "15.000000000");
    BOOST_TEST(*page.evaluation_time == at("2026-12-07T10:00:00Z"));
    BOOST_TEST(page.attribution_completeness == "INCOMPLETE");
    BOOST_TEST(page.next_page_token == "n");
    BOOST_CHECK_THROW(parse_costs_page(R"({"rows": "none"})"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(the_usage_costs_query_body)
{
    BOOST_TEST(costs_query("ACCOUNT", "MODEL", "2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z", "", 1000) ==
               R"({"scope":"ACCOUNT","groupBy":["DAY","MODEL"],"startTime":"2026-12-07T00:00:00Z","endTime":"2026-12-08T00:00:00Z","pageSize":1000})");
    BOOST_TEST(costs_query("SELF", "API_KEY", "a", "b", "t\"1", 5) ==
               R"({"scope":"SELF","groupBy":["DAY","API_KEY"],"startTime":"a","endTime":"b","pageSize":5,"pageToken":"t\"1"})");
}

BOOST_AUTO_TEST_CASE(billing_lines_and_the_prices_they_give)
{
    const auto b = parse_billing_summary(R"({"lineItems": [
        {"category": "dedicated", "groupingKey": "accelerator_type", "groupingValue": "NVIDIA_H100_80GB",
         "quantity": 10, "unitAmount": {"currencyCode": "USD", "units": "5", "nanos": 800000000},
         "totalCost": {"currencyCode": "USD", "units": "58"}},
        {"category": "serverless", "groupingKey": "model", "groupingValue": "accounts/fireworks/models/llama",
         "secondaryGroupingKey": "accelerator", "secondaryGroupingValue": "AMD_MI300X_192GB",
         "quantity": "1.5", "unitAmount": {"units": "0", "nanos": 0}, "totalCost": {"units": "2", "nanos": 500000000}},
        {"category": "dedicated", "groupingValue": "NVIDIA_A100_80GB", "unitAmount": {"units": "3", "currencyCode": "EUR"},
         "totalCost": {"units": "3", "currencyCode": "EUR"}},
        {"category": "no total"}]})");
    BOOST_REQUIRE_EQUAL(b.lines.size(), 3u);
    BOOST_TEST(b.skipped == 1u);
    BOOST_TEST(b.lines[0].total.text() == "58.000000000");
    BOOST_TEST(*b.lines[1].quantity == 1.5);
    BOOST_TEST(b.lines[1].secondary_grouping_value == "AMD_MI300X_192GB");
    const auto prices = prices_from_billing(b.lines);
    BOOST_REQUIRE_EQUAL(prices.size(), 2u); // a zero price gives none
    BOOST_TEST(prices.at("NVIDIA_H100_80GB").per_hour == 5.8);
    BOOST_TEST(prices.at("NVIDIA_A100_80GB").currency == "EUR");
    // A training line's price is not a deployment's, and a dedicated line
    // wins over another category's, whatever comes first.
    const auto mixed = parse_billing_summary(R"({"lineItems": [
        {"category": "fine-tuning training", "groupingValue": "NVIDIA_H200_141GB", "unitAmount": {"units": "7", "nanos": 500000000}, "totalCost": {"units": "1"}},
        {"category": "serverless", "secondaryGroupingValue": "NVIDIA_H100_80GB", "unitAmount": {"units": "9"}, "totalCost": {"units": "1"}},
        {"category": "Dedicated deployments", "groupingValue": "NVIDIA_H100_80GB", "unitAmount": {"units": "6"}, "totalCost": {"units": "1"}}]})");
    const auto chosen = prices_from_billing(mixed.lines);
    BOOST_TEST(chosen.count("NVIDIA_H200_141GB") == 0u);
    BOOST_TEST(chosen.at("NVIDIA_H100_80GB").per_hour == 6.0);
}

BOOST_AUTO_TEST_SUITE_END()
