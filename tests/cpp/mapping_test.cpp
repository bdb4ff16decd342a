// The Fireworks-to-Datadog mapping: every row of the SPEC table, tags,
// distributions over several runs, quantiles, filters, unknown series.
#define BOOST_TEST_MODULE fwm_mapping
// The module's file: it names the module. The framework is Debian's
// library, or in portable builds cpp/boost_test_framework.cpp.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <set>

#include <rapidjson/document.h>

#include "mapping/mapper.hpp"
#include "mapping/quantile.hpp"
#include "mapping/table.hpp"
#include "parser/parser.hpp"
#include "support/json_groups.hpp"

using namespace fwm::mapping;

namespace {

const char* kLabels = "base_model=\"accounts/fireworks/models/deepseek-v3\",deployment=\"accounts/acme/deployments/d1\","
                      "deployment_account=\"acme\",deployment_id=\"d1\"";

std::string labels(const std::string& id = "d1")
{
    std::string s = kLabels;
    const auto at = s.find("d1\",");
    s.replace(at, 2, id);
    s.replace(s.rfind("\"d1\""), 4, "\"" + id + "\"");
    return s;
}

struct BucketOut {
    double count, lower, upper;
};

// One run's submissions, flattened for assertions.
struct Out {
    std::map<std::string, double> gauges;    // "name|tags" -> value
    std::map<std::string, double> counts;
    std::map<std::string, std::vector<BucketOut>> buckets; // "name|tags"
    std::set<std::string> names;
    std::vector<std::string> tag_lists;
    MapStats stats;

    double gauge(const std::string& name, const std::string& tags) const
    {
        auto it = gauges.find(name + "|" + tags);
        return it == gauges.end() ? NAN : it->second;
    }
};

std::string join(const rapidjson::Value& tags)
{
    std::vector<std::string> t;
    for (const auto& x : tags.GetArray())
        t.emplace_back(x.GetString());
    std::sort(t.begin(), t.end());
    std::string s;
    for (const auto& x : t)
        s += (s.empty() ? "" : ",") + x;
    return s;
}

Out run(Mapper& m, const std::string& payload, double now)
{
    const auto parsed = fwm::parser::parse(payload);
    BOOST_TEST_REQUIRE(parsed.invalid_lines == 0u);
    std::string json;
    Out out;
    out.stats = fwm::test::map_json(m, parsed, now, json);
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseNanAndInfFlag>(json.c_str());
    BOOST_TEST_REQUIRE(!doc.HasParseError(), json);
    for (const auto& g : doc.GetArray()) {
        const std::string tags = join(g["tags"]);
        out.tag_lists.push_back(tags);
        for (const auto& x : g["gauges"].GetArray()) {
            out.gauges[std::string(x[0].GetString()) + "|" + tags] = x[1].GetDouble();
            out.names.insert(x[0].GetString());
        }
        if (g.HasMember("counts"))
            for (const auto& x : g["counts"].GetArray()) {
                out.counts[std::string(x[0].GetString()) + "|" + tags] = x[1].GetDouble();
                out.names.insert(x[0].GetString());
            }
        if (g.HasMember("buckets"))
            for (const auto& x : g["buckets"].GetArray()) {
                out.buckets[std::string(x[0].GetString()) + "|" + tags].push_back(
                    {x[1].GetDouble(), x[2].GetDouble(), x[3].GetDouble()});
                out.names.insert(x[0].GetString());
            }
    }
    return out;
}

const std::string kTags = "base_model:accounts/fireworks/models/deepseek-v3,deployment:accounts/acme/deployments/d1,"
                          "deployment_account:acme,deployment_id:d1,model:deepseek-v3";

std::string histogram(const std::string& name, const std::string& lbl, std::vector<std::pair<std::string, double>> b)
{
    std::string s;
    for (const auto& [le, v] : b)
        s += name + ":sum_by_deployment{" + lbl + ",le=\"" + le + "\"} " + std::to_string(v) + "\n";
    return s;
}

MappingOptions defaults()
{
    MappingOptions o;
    o.tags = {};
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mapping)

BOOST_AUTO_TEST_CASE(every_table_row_maps_to_its_datadog_name)
{
    std::string payload;
    for (auto k = known_begin(); k != known_end(); ++k) {
        const std::string name(k->fireworks);
        if (k->kind == Kind::histogram)
            payload += histogram(name, kLabels, {{"10", 1}, {"100", 3}, {"+Inf", 4}});
        else
            payload += name + (k->kind == Kind::gauge ? ":avg_by_deployment{" : ":sum_by_deployment{") + kLabels +
                       (name == "requests_error_total" ? ",http_code=\"500\"} 0.5\n" : "} 0.5\n");
    }
    Mapper m(defaults());
    const Out out = run(m, payload, 100);
    for (auto k = known_begin(); k != known_end(); ++k) {
        const std::string dd(k->datadog);
        if (k->kind == Kind::histogram) {
            BOOST_TEST(out.buckets.count(dd + "|" + kTags) == 1u, dd);
            for (const char* q : {".p50", ".p90", ".p95", ".p99"})
                BOOST_TEST(std::isfinite(out.gauge(dd + q, kTags)), dd + q);
        } else if (std::string(k->fireworks) == "requests_error_total") {
            BOOST_TEST(out.gauge(dd, kTags.substr(0, kTags.find(",model:")) + ",http_code:500" +
                                         kTags.substr(kTags.find(",model:"))) == 0.5);
        } else {
            BOOST_TEST(out.gauge(dd, kTags) == 0.5, dd);
        }
    }
    BOOST_TEST(out.stats.deployments == 1u);
    BOOST_TEST(out.stats.malformed_histograms == 0u);
}

BOOST_AUTO_TEST_CASE(table_matches_the_spec)
{
    // Spot checks of names, kinds and units from the SPEC's table.
    BOOST_TEST(find_known("request_counter_total")->datadog == "fireworks.requests.rate");
    BOOST_TEST(find_known("tokens_cached_prompt_total")->datadog == "fireworks.tokens.prompt_cached.rate");
    BOOST_TEST(find_known("latency_to_first_token_ms_bucket")->datadog == "fireworks.latency.time_to_first_token");
    BOOST_TEST(find_known("latency_prefill_queue_ms_bucket")->unit == "millisecond");
    BOOST_TEST(find_known("tokens_prompt_per_request_bucket")->datadog == "fireworks.tokens.prompt_per_request");
    BOOST_TEST(find_known("generator_kv_slots_fraction")->datadog == "fireworks.kv_cache.slots_used");
    BOOST_TEST(find_known("requests_coordinator_concurrent_count")->datadog == "fireworks.requests.concurrent");
    BOOST_TEST(find_known("prefiller_prompt_cache_ttl")->datadog == "fireworks.prompt_cache.ttl");
    BOOST_TEST(std::distance(known_begin(), known_end()) == 17);
}

BOOST_AUTO_TEST_CASE(labels_become_tags_with_model_and_instance_tags)
{
    MappingOptions o;
    o.tags = {"env:prod", "team:ml"};
    o.exclude_labels = {"deployment"};
    Mapper m(o);
    const Out out = run(m, std::string("requests_error_total:sum_by_deployment{") + kLabels + ",http_code=\"429\"} 2\n", 0);
    BOOST_TEST_REQUIRE(out.tag_lists.size() == 1u);
    BOOST_TEST(out.tag_lists[0] == "base_model:accounts/fireworks/models/deepseek-v3,deployment_account:acme,"
                                   "deployment_id:d1,env:prod,http_code:429,model:deepseek-v3,team:ml");
}

BOOST_AUTO_TEST_CASE(a_base_model_ending_in_a_slash_gives_no_model_tag)
{
    // util::model_tag_of, the rule the fleet report applies too: no guess.
    Mapper m(defaults());
    const Out out = run(m, "generator_kv_blocks_fraction:avg_by_deployment{deployment_id=\"d1\","
                           "base_model=\"accounts/fireworks/models/\"} 0.3\n", 0);
    BOOST_TEST(out.tag_lists.at(0) == "base_model:accounts/fireworks/models/,deployment_id:d1");
}

BOOST_AUTO_TEST_CASE(label_values_keep_case_and_are_unescaped)
{
    Mapper m(defaults());
    const Out out = run(m, "generator_kv_blocks_fraction:avg_by_deployment{deployment_id=\"Prod-\\\"A\\\"\"} 0.3\n", 0);
    BOOST_TEST(out.tag_lists.at(0) == "deployment_id:Prod-\"A\"");
}

BOOST_AUTO_TEST_CASE(first_run_counts_cover_min_collection_interval)
{
    MappingOptions o;
    o.min_collection_interval = 30;
    Mapper m(o);
    const Out out = run(m, histogram("latency_overall_ms_bucket", kLabels, {{"10", 2}, {"100", 6}, {"1000", 8}, {"+Inf", 10}}), 5);
    const auto& b = out.buckets.at("fireworks.latency.overall|" + kTags);
    BOOST_TEST_REQUIRE(b.size() == 4u);
    // De-cumulated rates 2, 4, 2, 2 per second over 30 s.
    BOOST_TEST(b[0].count == 60.0);
    BOOST_TEST(b[0].lower == 0.0);
    BOOST_TEST(b[0].upper == 10.0);
    BOOST_TEST(b[1].count == 120.0);
    BOOST_TEST(b[1].lower == 10.0);
    BOOST_TEST(b[3].count == 60.0);
    BOOST_TEST(b[3].lower == 1000.0);
    BOOST_TEST(std::isinf(b[3].upper));
}

BOOST_AUTO_TEST_CASE(quantiles_are_computed_like_histogram_quantile)
{
    Mapper m(defaults());
    const Out out = run(m, histogram("latency_overall_ms_bucket", kLabels, {{"10", 2}, {"100", 6}, {"1000", 8}, {"+Inf", 10}}), 0);
    BOOST_TEST(out.gauge("fireworks.latency.overall.p50", kTags) == 77.5); // 10 + 90 * (5 - 2) / 4
    BOOST_TEST(out.gauge("fireworks.latency.overall.p90", kTags) == 1000.0); // rank in +Inf: highest finite bound
    BOOST_TEST(out.gauge("fireworks.latency.overall.p99", kTags) == 1000.0);
    BOOST_TEST(histogram_quantile(0.1, {{10, 2}, {100, 6}, {1000, 8}, {INFINITY, 10}}) == 5.0);
    BOOST_TEST(histogram_quantile(0.95, {{10, 2}, {100, 6}, {1000, 8}, {INFINITY, 10}}) == 1000.0);
}

BOOST_AUTO_TEST_CASE(quantile_edge_cases)
{
    BOOST_TEST(std::isnan(histogram_quantile(0.5, {{10, 0}, {INFINITY, 0}})));         // no traffic
    BOOST_TEST(std::isnan(histogram_quantile(0.5, {{10, 1}, {100, 2}})));              // no +Inf bucket
    BOOST_TEST(histogram_quantile(0.5, {{10, 0}, {INFINITY, 4}}) == 10.0);             // all in +Inf
    BOOST_TEST(histogram_quantile(-1, {{10, 1}, {INFINITY, 1}}) == -INFINITY);
    BOOST_TEST(histogram_quantile(2, {{10, 1}, {INFINITY, 1}}) == INFINITY);
    BOOST_TEST(histogram_quantile(0.5, {{10, 4}, {100, 2}, {INFINITY, 4}}) == 5.0);    // made monotonic
    BOOST_TEST(histogram_quantile(1.0, {{10, 2}, {100, 4}, {INFINITY, 4}}) == 100.0);
    BOOST_TEST(quantile_suffix(0.5) == "p50");
    BOOST_TEST(quantile_suffix(0.999) == "p99_9");
}

BOOST_AUTO_TEST_CASE(first_bucket_at_or_below_zero_is_not_an_inverted_range)
{
    // Found by the fuzzer: a first bound of 0 (or below) cannot start at 0.
    Mapper m(defaults());
    const Out out = run(m, histogram("latency_overall_ms_bucket", kLabels, {{"-5", 1}, {"0", 2}, {"+Inf", 3}}), 0);
    const auto& b = out.buckets.at("fireworks.latency.overall|" + kTags);
    BOOST_TEST_REQUIRE(b.size() == 3u);
    BOOST_TEST(b[0].lower == -5.0);
    BOOST_TEST(b[0].upper == -5.0);
    BOOST_TEST(b[1].lower == -5.0);
    BOOST_TEST(b[1].upper == 0.0);
    for (const auto& x : b)
        BOOST_TEST(x.lower <= x.upper);
}

BOOST_AUTO_TEST_CASE(no_traffic_means_no_quantiles_and_no_buckets)
{
    Mapper m(defaults());
    const Out out = run(m, histogram("latency_overall_ms_bucket", kLabels, {{"10", 0}, {"+Inf", 0}}), 0);
    BOOST_TEST(out.buckets.empty());
    BOOST_TEST(std::isnan(out.gauge("fireworks.latency.overall.p50", kTags)));
}

BOOST_AUTO_TEST_CASE(distribution_counts_integrate_the_rates_over_many_runs)
{
    MappingOptions o;
    o.min_collection_interval = 15;
    Mapper m(o);
    // Irregular runs, one gap longer than the 60 s window (capped).
    const std::vector<double> times = {100, 117.3, 131.1, 146.9, 230, 245.5, 260.25, 275, 290.7, 305};
    const std::vector<double> rates = {0.013, 0.2, 1.7, 0.05}; // de-cumulated per-second rates
    double expected[4] = {0, 0, 0, 0}, submitted[4] = {0, 0, 0, 0};
    double previous = -1;
    for (double t : times) {
        const double elapsed = previous < 0 ? 15 : std::min(60.0, t - previous);
        previous = t;
        double cum = 0;
        std::vector<std::pair<std::string, double>> b;
        const char* les[] = {"0.5", "5", "50", "+Inf"};
        for (int i = 0; i < 4; ++i) {
            cum += rates[i];
            b.emplace_back(les[i], cum);
            expected[i] += rates[i] * elapsed;
        }
        const Out out = run(m, histogram("latency_prefill_ms_bucket", kLabels, b), t);
        auto it = out.buckets.find("fireworks.latency.prefill|" + kTags);
        if (it == out.buckets.end())
            continue;
        for (const auto& x : it->second) {
            BOOST_TEST(x.count == std::floor(x.count)); // whole counts only
            for (int i = 0; i < 4; ++i)
                if (x.upper == (i == 3 ? INFINITY : std::stod(les[i])))
                    submitted[i] += x.count;
        }
    }
    for (int i = 0; i < 4; ++i) {
        BOOST_TEST(submitted[i] <= expected[i] + 1e-9);
        BOOST_TEST(expected[i] - submitted[i] < 1.0, "bucket " << i << ": " << submitted[i] << " of " << expected[i]);
    }
}

BOOST_AUTO_TEST_CASE(rates_as_counts_carry_their_remainders)
{
    MappingOptions o;
    o.rates_as_counts = true;
    o.min_collection_interval = 10;
    Mapper m(o);
    const std::string p = std::string("request_counter_total:sum_by_deployment{") + kLabels + "} 0.25\n";
    double total = 0;
    for (int i = 0; i < 6; ++i) {
        const Out out = run(m, p, 1000 + 10.0 * i);
        BOOST_TEST(out.gauge("fireworks.requests.rate", kTags) == 0.25);
        total += out.counts.at("fireworks.requests.count|" + kTags);
    }
    BOOST_TEST(total == 15.0); // 0.25/s over 6 x 10 s = 15, in whole counts
}

BOOST_AUTO_TEST_CASE(malformed_histograms_are_used_and_counted)
{
    Mapper m(defaults());
    // Unordered, one bound written twice ("10", "10.0"), and no +Inf: the
    // buckets still go out (only the missing +Inf makes it malformed).
    const std::string p = histogram("latency_overall_ms_bucket", kLabels, {{"100", 5}, {"10", 1}, {"10.0", 3}}) +
                          histogram("latency_prefill_ms_bucket", kLabels, {{"10", 1}, {"+Inf", 2}});
    const Out out = run(m, p, 0);
    BOOST_TEST(out.stats.malformed_histograms == 1u);
    const auto& b = out.buckets.at("fireworks.latency.overall|" + kTags);
    BOOST_TEST_REQUIRE(b.size() == 2u);
    BOOST_TEST(b[0].upper == 10.0);
    // Equal bounds are summed as Prometheus does: 1 + 3 = 4/s below 10, over
    // the default first interval of 15 s; then 5 - 4 = 1/s up to 100.
    BOOST_TEST(b[0].count == 60.0);
    BOOST_TEST(b[1].count == 15.0);
    BOOST_TEST(std::isnan(out.gauge("fireworks.latency.overall.p50", kTags))); // no +Inf, no quantile
    BOOST_TEST(std::isfinite(out.gauge("fireworks.latency.prefill.p50", kTags)));
}

BOOST_AUTO_TEST_CASE(filters_on_metrics_and_deployments)
{
    MappingOptions o;
    o.metrics = {Pattern("metrics", "request_counter_total"), Pattern("metrics", "latency_.*")};
    o.exclude_metrics = {Pattern("exclude_metrics", "latency_prefill.*")};
    o.deployments_exclude = {Pattern("deployments.exclude", "d2")};
    Mapper m(o);
    const std::string p = std::string("request_counter_total:sum_by_deployment{") + labels("d1") + "} 1\n" +
                          "request_counter_total:sum_by_deployment{" + labels("d2") + "} 1\n" +
                          "tokens_prompt_total:sum_by_deployment{" + labels("d1") + "} 1\n" +
                          histogram("latency_overall_ms_bucket", labels("d1"), {{"10", 1}, {"+Inf", 1}}) +
                          histogram("latency_prefill_ms_bucket", labels("d1"), {{"10", 1}, {"+Inf", 1}});
    const Out out = run(m, p, 0);
    BOOST_TEST(out.names.count("fireworks.requests.rate") == 1u);
    BOOST_TEST(out.names.count("fireworks.tokens.prompt.rate") == 0u);
    BOOST_TEST(out.names.count("fireworks.latency.prefill") == 0u);
    BOOST_TEST(out.stats.deployments == 1u);
    for (const auto& t : out.tag_lists)
        BOOST_TEST(t.find("deployment_id:d2") == std::string::npos);
    BOOST_TEST(out.names.count("fireworks.latency.overall") == 1u);
    BOOST_TEST(out.stats.filtered == 1u + 1 + 2u); // d2, tokens_prompt_total, two prefill buckets
}

BOOST_AUTO_TEST_CASE(unknown_series_are_mapped_generically)
{
    Mapper m(defaults());
    const std::string p = std::string("new_widgets_total:sum_by_deployment{deployment_id=\"d1\"} 2\n") +
                          "queue_depth:avg_by_deployment{deployment_id=\"d1\"} 7\n" +
                          "odd:name:here 3\n" +
                          histogram("batch_size_bucket", "deployment_id=\"d1\"", {{"1", 1}, {"+Inf", 2}}) +
                          "# TYPE typed_total gauge\ntyped_total 9\n" +
                          "# TYPE bytes counter\nbytes 4\n";
    const Out out = run(m, p, 0);
    BOOST_TEST(out.gauge("fireworks.new_widgets.rate", "deployment_id:d1") == 2.0);
    BOOST_TEST(out.gauge("fireworks.queue_depth", "deployment_id:d1") == 7.0);
    BOOST_TEST(out.gauge("fireworks.odd_name_here", "") == 3.0);
    BOOST_TEST(out.buckets.count("fireworks.batch_size|deployment_id:d1") == 1u);
    BOOST_TEST(std::isfinite(out.gauge("fireworks.batch_size.p50", "deployment_id:d1")));
    BOOST_TEST(out.gauge("fireworks.typed_total", "") == 9.0); // TYPE gauge beats the _total guess
    BOOST_TEST(out.gauge("fireworks.bytes.rate", "") == 4.0);  // TYPE counter makes a rate
}

BOOST_AUTO_TEST_CASE(quantile_list_and_distributions_can_be_turned_off)
{
    MappingOptions o;
    o.quantiles = {};
    Mapper no_quantiles(o);
    const std::string p = histogram("latency_overall_ms_bucket", kLabels, {{"10", 1}, {"+Inf", 2}});
    Out out = run(no_quantiles, p, 0);
    BOOST_TEST(out.gauges.empty());
    BOOST_TEST(out.buckets.size() == 1u);
    MappingOptions d;
    d.distributions = false;
    Mapper no_distributions(d);
    out = run(no_distributions, p, 0);
    BOOST_TEST(out.buckets.empty());
    BOOST_TEST(out.gauges.size() == 4u);
}

BOOST_AUTO_TEST_CASE(non_finite_values_are_not_submitted)
{
    Mapper m(defaults());
    const Out out = run(m, "generator_kv_blocks_fraction:avg_by_deployment{deployment_id=\"d\"} NaN\n"
                           "generator_kv_slots_fraction:avg_by_deployment{deployment_id=\"d\"} +Inf\n", 0);
    BOOST_TEST(out.gauges.empty());
    BOOST_TEST(out.stats.non_finite == 2u);
}

BOOST_AUTO_TEST_CASE(state_stays_bounded_as_deployments_come_and_go)
{
    Mapper m(defaults());
    for (int round = 0; round < 30; ++round) {
        // Ten new deployments every minute; each lives for one run.
        std::string p;
        for (int d = 0; d < 10; ++d)
            p += histogram("latency_overall_ms_bucket", labels("r" + std::to_string(round) + "d" + std::to_string(d)),
                           {{"10", 1}, {"+Inf", 2}});
        run(m, p, 60.0 * round);
    }
    // Only the last ten minutes' deployments can still be held (600 s).
    BOOST_TEST(m.state_entries() <= 11u * 10u);
    BOOST_TEST(m.state_entries() >= 10u);
}

BOOST_AUTO_TEST_SUITE_END()
