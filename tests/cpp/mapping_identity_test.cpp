// Series identity and names: series that become one (excluded labels,
// label order, empty values) are merged, never submitted twice; unknown
// series never land on a name the check reserves; _created samples are
// not measurements. Ends with a property test over random payloads.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include <rapidjson/document.h>

#include "mapping/mapper.hpp"
#include "mapping/naming.hpp"
#include "mapping/quantile.hpp"
#include "mapping/table.hpp"
#include "parser/parser.hpp"
#include "support/json_groups.hpp"
#include "util/hash_seed.hpp"
#include "util/option_error.hpp"
#include "util/stream_hash.hpp"

using namespace fwm::mapping;
using fwm::test::JsonGroups;
using fwm::test::map_json;

namespace {

struct Point {
    std::string kind, name, tags;
    double value = 0, lower = 0, upper = 0;
};

// Every point of one run, in order; and the check that no two share name,
// tags and bounds.
struct Points {
    std::vector<Point> all;
    MapStats stats;

    std::vector<Point> named(const std::string& name) const
    {
        std::vector<Point> out;
        for (const auto& p : all)
            if (p.name == name)
                out.push_back(p);
        return out;
    }
    double only(const std::string& name) const
    {
        const auto v = named(name);
        BOOST_TEST_REQUIRE(v.size() == 1u, name << " submitted " << v.size() << " times");
        return v[0].value;
    }
    bool has(const std::string& name) const { return !named(name).empty(); }
};

std::string sorted_tags(const rapidjson::Value& tags)
{
    std::vector<std::string> t;
    for (const auto& x : tags.GetArray())
        t.emplace_back(x.GetString());
    // The Agent finds a point's series from its sorted tags, repeats dropped.
    std::sort(t.begin(), t.end());
    t.erase(std::unique(t.begin(), t.end()), t.end());
    std::string s;
    for (const auto& x : t)
        s += x + ",";
    return s;
}

Points map_points(Mapper& m, const std::string& payload, double now, std::size_t invalid = 0)
{
    const auto parsed = fwm::parser::parse(payload);
    BOOST_TEST_REQUIRE(parsed.invalid_lines == invalid, (parsed.errors.empty() ? "" : parsed.errors[0].reason));
    std::string json;
    Points out;
    out.stats = map_json(m, parsed, now, json);
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseNanAndInfFlag>(json.c_str());
    BOOST_TEST_REQUIRE(!doc.HasParseError(), json.substr(0, 300));
    std::set<std::string> seen;
    for (const auto& g : doc.GetArray()) {
        const std::string tags = sorted_tags(g["tags"]);
        for (const char* kind : {"gauges", "counts", "buckets"}) {
            if (!g.HasMember(kind))
                continue;
            for (const auto& x : g[kind].GetArray()) {
                Point p{kind, x[0].GetString(), tags, x[1].GetDouble()};
                if (x.Size() == 4) {
                    p.lower = x[2].GetDouble();
                    p.upper = x[3].GetDouble();
                }
                const std::string key = p.kind + "|" + p.name + "|" + p.tags + "|" + std::to_string(p.lower) + "|" +
                                        std::to_string(p.upper);
                BOOST_TEST(seen.insert(key).second, "submitted twice in one run: " << key);
                out.all.push_back(p);
            }
        }
    }
    return out;
}

MappingOptions with(std::vector<std::string> exclude_labels = {}, bool counts = false)
{
    MappingOptions o;
    o.exclude_labels = std::move(exclude_labels);
    o.rates_as_counts = counts;
    o.min_collection_interval = 60;
    return o;
}

const char* kRow = "request_counter_total:sum_by_deployment";
const char* kErrors = "requests_error_total:sum_by_deployment";
const char* kLatency = "latency_overall_ms_bucket:sum_by_deployment";

} // namespace

BOOST_AUTO_TEST_SUITE(identity)

// "What is wrong today" 1: the two series had become two gauges with equal tags.
BOOST_AUTO_TEST_CASE(excluded_labels_merge_rates_into_their_sum)
{
    Mapper m(with({"http_code"}, true));
    const auto p = map_points(m,
                              std::string(kErrors) + "{deployment_id=\"d1\",http_code=\"500\"} 0.5\n" + kErrors +
                                  "{deployment_id=\"d1\",http_code=\"429\"} 0.25\n",
                              100);
    BOOST_TEST(p.only("fireworks.requests.errors.rate") == 0.75);
    BOOST_TEST(p.only("fireworks.requests.errors.count") == 45.0); // 0.75/s over the first 60 s
    BOOST_TEST(p.stats.merged == 1u);
    BOOST_TEST(p.named("fireworks.requests.errors.rate")[0].tags == "deployment_id:d1,");
}

BOOST_AUTO_TEST_CASE(excluded_labels_merge_histogram_groups_bucket_by_bucket)
{
    // Two replicas' latency, the replica label excluded: one distribution,
    // quantiles of the sum (as histogram_quantile over sum by (le)).
    std::string payload;
    const std::vector<std::pair<std::string, std::pair<double, double>>> rows = {
        {"10", {1, 0}}, {"100", {1, 3}}, {"+Inf", {1, 4}}};
    for (const char* replica : {"a", "b"})
        for (const auto& [le, v] : rows)
            payload += std::string(kLatency) + "{deployment_id=\"d1\",replica=\"" + replica + "\",le=\"" + le + "\"} " +
                       std::to_string(replica[0] == 'a' ? v.first : v.second) + "\n";
    Mapper m(with({"replica"}));
    const auto p = map_points(m, payload, 100);
    const auto buckets = p.named("fireworks.latency.overall");
    BOOST_TEST_REQUIRE(buckets.size() == 3u); // 0-10, 10-100, 100-Inf
    BOOST_TEST(buckets[0].value == 60.0);  // (1 + 0)/s x 60 s
    BOOST_TEST(buckets[1].value == 180.0); // (4 - 1)/s x 60 s
    BOOST_TEST(buckets[2].value == 60.0);  // (5 - 4)/s x 60 s
    const std::vector<Bucket> merged = {{10, 1}, {100, 4}, {INFINITY, 5}};
    BOOST_TEST(p.only("fireworks.latency.overall.p50") == histogram_quantile(0.5, merged));
    BOOST_TEST(p.only("fireworks.latency.overall.p99") == histogram_quantile(0.99, merged));
    BOOST_TEST(p.stats.malformed_histograms == 0u);
}

BOOST_AUTO_TEST_CASE(average_gauges_merge_by_mean_and_sums_by_sum)
{
    Mapper m(with({"replica"}));
    const auto p = map_points(m,
                              "generator_kv_slots_fraction:avg_by_deployment{deployment_id=\"d1\",replica=\"a\"} 0.2\n"
                              "generator_kv_slots_fraction:avg_by_deployment{deployment_id=\"d1\",replica=\"b\"} 0.6\n"
                              "queue_depth:sum_by_deployment{deployment_id=\"d1\",replica=\"a\"} 3\n"
                              "queue_depth:sum_by_deployment{deployment_id=\"d1\",replica=\"b\"} 4\n"
                              "queue_peak:max_by_deployment{deployment_id=\"d1\",replica=\"a\"} 3\n"
                              "queue_peak:max_by_deployment{deployment_id=\"d1\",replica=\"b\"} 9\n"
                              "queue_floor:min_by_deployment{deployment_id=\"d1\",replica=\"a\"} 3\n"
                              "queue_floor:min_by_deployment{deployment_id=\"d1\",replica=\"b\"} 9\n"
                              "plain_gauge{deployment_id=\"d1\",replica=\"a\"} 1\n"
                              "plain_gauge{deployment_id=\"d1\",replica=\"b\"} 2\n",
                              100);
    BOOST_TEST(std::fabs(p.only("fireworks.kv_cache.slots_used") - 0.4) < 1e-15);
    BOOST_TEST(p.only("fireworks.queue_depth") == 7.0);
    BOOST_TEST(p.only("fireworks.queue_peak") == 9.0);
    BOOST_TEST(p.only("fireworks.queue_floor") == 3.0);
    BOOST_TEST(p.only("fireworks.plain_gauge") == 1.5);
    BOOST_TEST((merge_rule("x:avg_by_deployment", Kind::gauge) == Merge::mean));
    BOOST_TEST((merge_rule("x:sum_by_deployment", Kind::rate) == Merge::sum));
    BOOST_TEST((merge_rule("x_total", Kind::rate) == Merge::sum));
}

BOOST_AUTO_TEST_CASE(a_nan_part_makes_the_merged_value_nan_and_unsent)
{
    Mapper m(with({"replica"}));
    const auto p = map_points(m,
                              std::string(kRow) + "{deployment_id=\"d1\",replica=\"a\"} NaN\n" + kRow +
                                  "{deployment_id=\"d1\",replica=\"b\"} 2\n",
                              100);
    BOOST_TEST(!p.has("fireworks.requests.rate"));
    BOOST_TEST(p.stats.non_finite == 1u);
}

// "What is wrong today" 2.
BOOST_AUTO_TEST_CASE(label_order_is_not_part_of_a_histogram_groups_identity)
{
    const std::string a = "deployment_id=\"d1\",base_model=\"m\"", b = "base_model=\"m\",deployment_id=\"d1\"";
    const std::string payload = std::string(kLatency) + "{" + a + ",le=\"10\"} 1\n" + kLatency + "{le=\"100\"," + b +
                                "} 3\n" + kLatency + "{" + b + ",le=\"+Inf\"} 4\n";
    const std::string sorted = std::string(kLatency) + "{" + b + ",le=\"10\"} 1\n" + kLatency + "{" + b +
                               ",le=\"100\"} 3\n" + kLatency + "{" + b + ",le=\"+Inf\"} 4\n";
    Mapper m1(with()), m2(with());
    const auto p = map_points(m1, payload, 100);
    const auto q = map_points(m2, sorted, 100);
    BOOST_TEST(p.named("fireworks.latency.overall").size() == 3u);
    BOOST_TEST(p.only("fireworks.latency.overall.p50") == q.only("fireworks.latency.overall.p50"));
    BOOST_TEST(p.stats.groups == 1u);
    BOOST_TEST(p.stats.malformed_histograms == 0u);
}

BOOST_AUTO_TEST_CASE(the_carry_follows_the_identity_across_label_orders)
{
    // 0.3/s for 10 runs of 10 s, labels written in a different order each
    // run: the counts add up to 30 (one carry), not 0 (ten fresh ones).
    Mapper m(with({}, true));
    double total = 0;
    for (int run = 0; run < 10; ++run) {
        const std::string labels = run % 2 ? "a=\"1\",deployment_id=\"d1\"" : "deployment_id=\"d1\",a=\"1\"";
        const auto p = map_points(m, std::string(kRow) + "{" + labels + "} 0.3\n", 100 + 10.0 * (run + 1));
        total += p.only("fireworks.requests.count");
    }
    BOOST_TEST(total == 45.0); // first run: 60 s x 0.3 = 18, then 9 x 10 s x 0.3 = 27
}

// "What is wrong today" 4: without min_collection_interval the first run
// counts the Agent's default interval (15 s), not a minute.
BOOST_AUTO_TEST_CASE(the_first_run_counts_the_agents_default_interval)
{
    MappingOptions o;
    o.rates_as_counts = true;
    BOOST_TEST(o.min_collection_interval == 15.0);
    Mapper m(o);
    const auto p = map_points(m,
                              std::string(kRow) + "{deployment_id=\"d1\"} 2\n" + kLatency +
                                  "{deployment_id=\"d1\",le=\"10\"} 1\n" + kLatency +
                                  "{deployment_id=\"d1\",le=\"+Inf\"} 1\n",
                              100);
    BOOST_TEST(p.only("fireworks.requests.count") == 30.0); // 2/s x 15 s
    BOOST_TEST(p.named("fireworks.latency.overall")[0].value == 15.0);
}

// "What is wrong today" 7.
BOOST_AUTO_TEST_CASE(empty_label_values_are_no_tags_and_no_identity)
{
    Mapper m(with());
    const auto p = map_points(m,
                              std::string(kRow) + "{base_model=\"\",deployment_id=\"d1\",region=\"\"} 2\n" +
                                  "generator_kv_slots_fraction:avg_by_deployment{deployment_id=\"d1\",base_model=\"\"} 0.5\n",
                              100);
    BOOST_TEST(p.named("fireworks.requests.rate")[0].tags == "deployment_id:d1,");
    BOOST_TEST(p.named("fireworks.kv_cache.slots_used")[0].tags == "deployment_id:d1,");
    BOOST_TEST(p.stats.groups == 1u);
    // base_model "accounts/x/models/" has no model after the slash: no empty model tag.
    Mapper m2(with());
    const auto q = map_points(m2, std::string(kRow) + "{base_model=\"accounts/x/models/\"} 2\n", 100);
    BOOST_TEST(q.named("fireworks.requests.rate")[0].tags == "base_model:accounts/x/models/,");
}

BOOST_AUTO_TEST_CASE(created_samples_are_not_measurements)
{
    Mapper om(with());
    const auto p = map_points(om,
                              "# TYPE jobs counter\njobs_total 5\njobs_created 1.7e9\n"
                              "# TYPE lat histogram\nlat_bucket{le=\"1\"} 1\nlat_bucket{le=\"+Inf\"} 2\nlat_count 2\n"
                              "lat_sum 3\nlat_created 1.7e9\n"
                              "# TYPE other_created gauge\nother_created 4\n# EOF\n",
                              100);
    BOOST_TEST(p.has("fireworks.jobs.rate"));
    BOOST_TEST(!p.has("fireworks.jobs_created"));
    BOOST_TEST(!p.has("fireworks.lat_created"));
    BOOST_TEST(p.has("fireworks.other_created")); // its own gauge family, no counter beside it
    BOOST_TEST(p.stats.created == 2u);
    // A Prometheus client's text format declares foo_created as a gauge of its own.
    Mapper prom(with());
    const auto q = map_points(prom,
                              "# TYPE reqs counter\nreqs_total 5\n# TYPE reqs_created gauge\nreqs_created 1.7e9\n", 100);
    BOOST_TEST(q.has("fireworks.reqs.rate"));
    BOOST_TEST(!q.has("fireworks.reqs_created"));
}

// "What is wrong today" 3, and a test per reserved name.
BOOST_AUTO_TEST_CASE(unknown_series_never_take_a_curated_name)
{
    Mapper m(with({}, true));
    const auto p = map_points(m,
                              std::string(kRow) + "{deployment_id=\"d1\"} 1\n" +
                                  "requests_total:sum_by_deployment{deployment_id=\"d1\"} 5\n",
                              100);
    BOOST_TEST(p.only("fireworks.requests.rate") == 1.0);
    BOOST_TEST(p.only("fireworks.requests.count") == 60.0);
    BOOST_TEST(p.only("fireworks.series.requests_total_sum_by_deployment.rate") == 5.0);
    BOOST_TEST(p.only("fireworks.series.requests_total_sum_by_deployment.count") == 300.0);
    BOOST_TEST(p.stats.renamed == 1u);
}

BOOST_AUTO_TEST_CASE(every_reserved_name_is_kept_from_unknown_series)
{
    // For each name the check defines, an unknown series (a quoted UTF-8
    // name, as OpenMetrics 2 allows) whose derived name is exactly it.
    struct Case {
        std::string series, reserved;
    };
    std::vector<Case> cases;
    for (auto k = known_begin(); k != known_end(); ++k) {
        const std::string dd(k->datadog);
        const std::string core = dd.substr(std::string("fireworks.").size());
        if (k->kind == Kind::rate) {
            const std::string stem = core.substr(0, core.size() - 5); // without ".rate"
            cases.push_back({stem + "_total", dd});
            cases.push_back({stem + "_total", "fireworks." + stem + ".count"});
        } else if (k->kind == Kind::histogram) {
            cases.push_back({core + "_bucket", dd});
        } else {
            cases.push_back({core, dd});
        }
    }
    for (const char* own : {"fireworks.deployments", "fireworks.scrape.duration", "fireworks.scrape.series",
                            "fireworks.scrape.response_bytes", "fireworks.scrape.invalid_lines",
                            "fireworks.scrape.malformed_histograms", "fireworks.scrape.cache_hits",
                            "fireworks.scrape.rate_limited"})
        cases.push_back({std::string(own).substr(10), own});
    BOOST_TEST(cases.size() == 29u);
    for (const auto& c : cases) {
        BOOST_TEST(reserved_name(c.reserved), c.reserved);
        std::string payload = "{\"" + c.series + "\",deployment_id=\"d1\"";
        if (c.series.size() > 7 && c.series.substr(c.series.size() - 7) == "_bucket")
            payload = "{\"" + c.series + "\",deployment_id=\"d1\",le=\"10\"} 1\n" + payload + ",le=\"+Inf\"} 2\n";
        else
            payload += "} 1\n";
        Mapper m(with({}, true));
        const auto p = map_points(m, payload, 100);
        BOOST_TEST(!p.has(c.reserved), c.series << " took " << c.reserved);
        BOOST_TEST(p.stats.renamed == 1u, c.series);
        BOOST_TEST(!p.all.empty(), c.series << " was not submitted at all");
        for (const auto& x : p.all)
            BOOST_TEST(x.name.rfind("fireworks.series.", 0) == 0u, x.name);
    }
}

BOOST_AUTO_TEST_CASE(unknown_series_that_derive_one_name_do_not_share_it)
{
    // "a:b" and "a_b" both sanitize to fireworks.a_b: the first keeps it.
    Mapper m(with());
    const auto p = map_points(m, "{\"a:b\"} 1\na_b 2\n", 100);
    BOOST_TEST(p.only("fireworks.a_b") == 1.0);
    BOOST_TEST(p.only("fireworks.series.a_b") == 2.0);
    // Stable across runs: the owner keeps its name.
    const auto q = map_points(m, "a_b 2\n{\"a:b\"} 1\n", 160);
    BOOST_TEST(q.only("fireworks.a_b") == 1.0);
    BOOST_TEST(q.only("fireworks.series.a_b") == 2.0);
}

// "What is wrong today" 6.
BOOST_AUTO_TEST_CASE(quantiles_are_validated_and_named_without_collision)
{
    auto read = [](const std::string& json) {
        rapidjson::Document d;
        d.Parse(json.c_str());
        return read_mapping_options(&d);
    };
    for (const char* bad : {"[0.5, 0.5]", "[0]", "[1.5]", "[-0.1]", "[0.9, 0.90]"}) {
        try {
            read(std::string("{\"quantiles\":") + bad + "}");
            BOOST_ERROR("accepted " << bad);
        } catch (const fwm::util::OptionError& e) {
            BOOST_TEST(std::string(e.what()).find("'quantiles'") != std::string::npos, e.what());
        }
    }
    const auto o = read("{\"quantiles\":[1, 0.999, 0.9999, 0.999999, 0.9999991, 0.0001, 0.5]}");
    BOOST_TEST(o.quantiles.size() == 7u);
    std::set<std::string> names;
    for (double q : o.quantiles)
        names.insert(quantile_suffix(q));
    BOOST_TEST(names.size() == 7u);
    BOOST_TEST(quantile_suffix(0.5) == "p50");
    BOOST_TEST(quantile_suffix(0.95) == "p95");
    BOOST_TEST(quantile_suffix(0.999) == "p99_9");
    BOOST_TEST(quantile_suffix(1) == "p100");
    BOOST_TEST(quantile_suffix(0.0001) == "p0_01");
    BOOST_TEST(quantile_suffix(0.9999991) == "p99_99991");
    BOOST_TEST(quantile_suffix(0.07) == "p7"); // not 7.000000000000001
}

BOOST_AUTO_TEST_CASE(equal_bounds_are_summed_as_prometheus_does)
{
    // le="10" and le="1e1" are one bound: Prometheus sums them.
    Mapper m(with());
    const auto p = map_points(m,
                              std::string(kLatency) + "{deployment_id=\"d1\",le=\"10\"} 1\n" + kLatency +
                                  "{deployment_id=\"d1\",le=\"1e1\"} 2\n" + kLatency +
                                  "{deployment_id=\"d1\",le=\"+Inf\"} 4\n",
                              100);
    const std::vector<Bucket> summed = {{10, 3}, {INFINITY, 4}};
    BOOST_TEST(p.only("fireworks.latency.overall.p50") == histogram_quantile(0.5, summed));
    const auto b = p.named("fireworks.latency.overall");
    BOOST_TEST_REQUIRE(b.size() == 2u);
    BOOST_TEST(b[0].value == 180.0); // 3/s x 60 s below 10
    BOOST_TEST(b[1].value == 60.0);
}

BOOST_AUTO_TEST_CASE(where_prometheus_gives_nan_nothing_is_sent)
{
    Mapper m(with());
    const auto p = map_points(m,
                              std::string(kLatency) + "{deployment_id=\"d1\",le=\"10\"} 0\n" + kLatency +
                                  "{deployment_id=\"d1\",le=\"+Inf\"} 0\n" + "lat2_bucket{le=\"10\"} 1\n",
                              100);
    BOOST_TEST(!p.has("fireworks.latency.overall.p50")); // no observations
    BOOST_TEST(!p.has("fireworks.lat2.p50"));            // no +Inf bucket
    BOOST_TEST(p.stats.malformed_histograms == 1u);
}

// The collector maps a payload as it is parsed, a chunk at a time: the
// submissions and the state carried between runs must be those of the
// whole payload mapped at once, whatever the chunk size.
BOOST_AUTO_TEST_CASE(mapping_in_chunks_equals_mapping_the_whole_payload)
{
    std::mt19937_64 rng(77);
    for (int trial = 0; trial < 40; ++trial) {
        std::string payload;
        const int lines = 5 + static_cast<int>(rng() % 80);
        for (int i = 0; i < lines; ++i) {
            const std::string d = "deployment_id=\"d" + std::to_string(rng() % 4) + "\"";
            const std::string r = "replica=\"" + std::to_string(rng() % 3) + "\"";
            switch (rng() % 4) {
            case 0: payload += std::string(kRow) + "{" + r + "," + d + "} " + std::to_string(rng() % 9) + "\n"; break;
            case 1: payload += std::string(kErrors) + "{" + d + ",http_code=\"" + std::to_string(rng() % 3) + "\"} 1\n"; break;
            case 2:
                for (const char* le : {"10", "100", "+Inf"})
                    payload += std::string(kLatency) + "{" + d + "," + r + ",le=\"" + le + "\"} " +
                               std::to_string(rng() % 5) + "\n";
                break;
            default: payload += "generator_kv_slots_fraction:avg_by_deployment{" + d + "," + r + "} 0.5\n"; break;
            }
        }
        const std::vector<std::string> excluded = rng() % 2 ? std::vector<std::string>{"replica"} : std::vector<std::string>{};
        for (std::size_t chunk : {1u, 3u, 50u}) {
            Mapper whole(with(excluded, true)), parts(with(excluded, true));
            for (double now : {100.0, 130.0}) {
                const auto parsed = fwm::parser::parse(payload);
                std::string a, b;
                const MapStats sa = map_json(whole, parsed, now, a);
                parts.begin(now);
                const auto rest = fwm::parser::parse_chunked(payload, {}, chunk,
                                                             [&](const fwm::parser::ParseResult& c) { parts.add(c); });
                {
                    JsonGroups sink(b);
                    const MapStats sb = parts.finish(sink);
                    BOOST_TEST(sb.points == sa.points);
                    BOOST_TEST(sb.merged == sa.merged);
                    BOOST_TEST(sb.groups == sa.groups);
                }
                BOOST_TEST(a == b, "trial " << trial << " chunk " << chunk);
                BOOST_TEST(rest.invalid_lines == parsed.invalid_lines);
            }
        }
    }
}

// The property: for random label orders, random exclusions and random
// splits of each deployment's traffic into series, over several runs the
// submitted counts equal the integral of the rates within 1, and no run
// submits one name + tags + bounds twice.
BOOST_AUTO_TEST_CASE(random_payloads_integrate_exactly_and_never_duplicate)
{
    std::mt19937_64 rng(20261127);
    const std::vector<std::string> les = {"10", "100", "1000", "+Inf"};
    int cases = 0;
    for (int trial = 0; trial < 60; ++trial) {
        const int deployments = 1 + static_cast<int>(rng() % 4);
        const int runs = 3 + static_cast<int>(rng() % 5);
        const bool exclude_shard = rng() % 2, exclude_region = rng() % 3 == 0;
        std::vector<std::string> excluded = {"http_code"};
        if (exclude_shard)
            excluded.push_back("shard");
        if (exclude_region)
            excluded.push_back("region");
        Mapper m(with(excluded, true));
        // True per-second rates per deployment, split over 1-4 shards.
        std::vector<double> rate(static_cast<std::size_t>(deployments));
        std::vector<std::array<double, 4>> cumulative(static_cast<std::size_t>(deployments));
        std::vector<int> shards(static_cast<std::size_t>(deployments));
        for (int d = 0; d < deployments; ++d) {
            rate[d] = static_cast<double>(rng() % 1000) / 37.0;
            double c = 0;
            for (auto& x : cumulative[d])
                x = c += static_cast<double>(rng() % 100) / 13.0;
            shards[d] = 1 + static_cast<int>(rng() % 4);
        }
        std::map<std::string, double> counted, bucket_counted;
        double now = 1000, elapsed_total = 0;
        for (int run = 0; run < runs; ++run) {
            const double step = 5 + static_cast<double>(rng() % 50);
            now += step;
            elapsed_total += run == 0 ? 60 : std::min(60.0, step);
            std::string payload;
            for (int d = 0; d < deployments; ++d) {
                // Shares of the deployment's rate and buckets for each shard.
                std::vector<double> share(static_cast<std::size_t>(shards[d]));
                double sum = 0;
                for (auto& s : share)
                    sum += s = 1 + static_cast<double>(rng() % 10);
                for (int s = 0; s < shards[d]; ++s) {
                    const double f = share[s] / sum;
                    std::vector<std::string> labels = {"deployment_id=\"d" + std::to_string(d) + "\"",
                                                       "region=\"r" + std::to_string(d % 2) + "\""};
                    if (exclude_shard || shards[d] > 1)
                        labels.push_back("shard=\"" + std::to_string(s) + "\"");
                    auto line = [&](const std::string& name, std::vector<std::string> l, double v) {
                        std::shuffle(l.begin(), l.end(), rng);
                        std::string out = name + "{";
                        for (std::size_t i = 0; i < l.size(); ++i)
                            out += (i ? "," : "") + l[i];
                        char num[64];
                        std::snprintf(num, sizeof num, "%.17g", v);
                        return out + "} " + num + "\n";
                    };
                    // Only whole splits are exact: a shard must be excluded to be summed.
                    const double part = exclude_shard ? f : (s == 0 ? 1.0 : 0.0);
                    if (!exclude_shard && s > 0)
                        continue;
                    payload += line(kRow, labels, rate[d] * part);
                    for (std::size_t b = 0; b < les.size(); ++b) {
                        auto l = labels;
                        l.push_back("le=\"" + les[b] + "\"");
                        payload += line(kLatency, l, cumulative[d][b] * part);
                    }
                }
            }
            const auto p = map_points(m, payload, now);
            ++cases;
            for (const auto& x : p.all) {
                if (x.name == "fireworks.requests.count")
                    counted[x.tags] += x.value;
                if (x.kind == "buckets")
                    bucket_counted[x.tags + std::to_string(x.upper)] += x.value;
            }
        }
        // Each deployment (with region excluded or not, tags are per deployment).
        for (int d = 0; d < deployments; ++d) {
            const std::string tags = "deployment_id:d" + std::to_string(d) + "," +
                                     (exclude_region ? "" : "region:r" + std::to_string(d % 2) + ",") +
                                     (!exclude_shard && shards[d] > 1 ? "shard:0," : "");
            // Whole counts with the fraction carried: never above the
            // integral, less than 1 below it (a little float slack: the
            // parts of a split do not add up to the last bit).
            const double integral = rate[d] * elapsed_total;
            BOOST_TEST((counted[tags] <= integral + 1e-6 && counted[tags] > integral - 1 - 1e-6),
                       "trial " << trial << " d" << d << ": " << counted[tags] << " vs " << integral);
            double below = 0;
            for (std::size_t b = 0; b < les.size(); ++b) {
                const double upper = les[b] == "+Inf" ? INFINITY : std::stod(les[b]);
                const double expected = (cumulative[d][b] - below) * elapsed_total;
                below = cumulative[d][b];
                const double got = bucket_counted[tags + std::to_string(upper)];
                BOOST_TEST((got <= expected + 1e-6 && got > expected - 1 - 1e-6),
                           "trial " << trial << " d" << d << " le " << les[b] << ": " << got << " vs " << expected);
            }
        }
    }
    BOOST_TEST_MESSAGE("identity property: " << cases << " runs over 60 random payload histories");
}

// ---- what a review found -------------------------------------------------

// The Agent sees tags, not labels: label sets that differ but give the same
// tag set are one series, so they are merged, not sent twice.
BOOST_AUTO_TEST_CASE(label_sets_that_give_one_tag_set_are_one_identity)
{
    Mapper m(with({}, true));
    const std::string base = "base_model=\"accounts/f/models/llama\"";
    const auto p = map_points(m,
                              std::string(kRow) + "{" + base + ",model=\"llama\"} 1\n" + kRow + "{" + base + "} 2\n" +
                                  kRow + "{\"deployment_id:x\"=\"y\"} 3\n" + kRow + "{deployment_id=\"x:y\"} 4\n",
                              100);
    const auto rates = p.named("fireworks.requests.rate");
    BOOST_TEST_REQUIRE(rates.size() == 2u);
    BOOST_TEST(rates[0].tags == "base_model:accounts/f/models/llama,model:llama,");
    BOOST_TEST(rates[0].value == 3.0);
    BOOST_TEST(rates[1].tags == "deployment_id:x:y,");
    BOOST_TEST(rates[1].value == 7.0);
    BOOST_TEST(p.stats.merged == 2u);

    // An instance tag that a label repeats: {deployment="x"} and no label are one series.
    MappingOptions o = with();
    o.tags = {"deployment:x", "team:a"};
    Mapper mi(o);
    const auto q = map_points(mi, std::string(kRow) + "{deployment=\"x\"} 1\n" + kRow + " 2\n", 100);
    BOOST_TEST(q.only("fireworks.requests.rate") == 3.0);
    BOOST_TEST(q.named("fireworks.requests.rate")[0].tags == "deployment:x,team:a,");

    // The service tag the Agent adds itself: never sent from here, and a
    // service label equal to it makes no second series.
    MappingOptions a = with();
    a.agent_tags = {"service:fw"};
    Mapper ma(a);
    const auto r = map_points(ma,
                              "generator_kv_slots_fraction:avg_by_deployment{deployment_id=\"d1\",service=\"fw\"} 0.2\n"
                              "generator_kv_slots_fraction:avg_by_deployment{deployment_id=\"d1\"} 0.6\n",
                              100);
    BOOST_TEST(r.only("fireworks.kv_cache.slots_used") == 0.4, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r.named("fireworks.kv_cache.slots_used")[0].tags == "deployment_id:d1,");
}

BOOST_AUTO_TEST_CASE(le_is_part_of_the_identity_of_anything_but_a_histogram)
{
    Mapper m(with());
    const auto p = map_points(m,
                              "zz{le=\"1\"} 1\nzz{le=\"2\"} 2\n"
                              "generator_kv_blocks_fraction:avg_by_deployment{deployment_id=\"d\",le=\"1\"} 0.5\n"
                              "generator_kv_blocks_fraction:avg_by_deployment{deployment_id=\"d\",le=\"2\"} 0.25\n",
                              100);
    const auto zz = p.named("fireworks.zz");
    BOOST_TEST_REQUIRE(zz.size() == 2u);
    BOOST_TEST(zz[0].tags == "le:1,");
    BOOST_TEST(zz[0].value == 1.0);
    BOOST_TEST(zz[1].value == 2.0);
    BOOST_TEST(p.stats.merged == 0u);
}

BOOST_AUTO_TEST_CASE(repeated_or_decreasing_le_in_one_series_is_malformed)
{
    Mapper dup(with());
    const auto p = map_points(dup,
                              std::string(kLatency) + "{deployment_id=\"d\",le=\"1\"} 5\n" + kLatency +
                                  "{deployment_id=\"d\",le=\"1.0\"} 5\n" + kLatency +
                                  "{deployment_id=\"d\",le=\"+Inf\"} 10\n",
                              100);
    BOOST_TEST(p.stats.malformed_histograms == 1u);
    BOOST_TEST(p.only("fireworks.latency.overall.p50") == histogram_quantile(0.5, {{1, 10}, {INFINITY, 10}}));

    Mapper order(with());
    const auto q = map_points(order,
                              std::string(kLatency) + "{deployment_id=\"d\",le=\"2\"} 5\n" + kLatency +
                                  "{deployment_id=\"d\",le=\"1\"} 3\n" + kLatency +
                                  "{deployment_id=\"d\",le=\"+Inf\"} 10\n",
                              100);
    BOOST_TEST(q.stats.malformed_histograms == 1u);
    BOOST_TEST(q.named("fireworks.latency.overall").size() == 3u); // still used: sorted by bound

    // Two series merged by an exclusion repeat every bound: that is not malformed.
    Mapper merged(with({"replica"}));
    std::string payload;
    for (const char* r : {"a", "b"})
        for (const char* le : {"1", "2", "+Inf"})
            payload += std::string(kLatency) + "{deployment_id=\"d\",replica=\"" + r + "\",le=\"" + le + "\"} 1\n";
    const auto m = map_points(merged, payload, 100);
    BOOST_TEST(m.stats.malformed_histograms == 0u);
    // Nor are two series of different names that share a Datadog name.
    Mapper names(with());
    std::string two;
    for (const char* series : {kLatency, "latency_overall_ms_bucket"})
        for (const char* le : {"1", "+Inf"})
            two += std::string(series) + "{deployment_id=\"d\",le=\"" + le + "\"} 1\n";
    BOOST_TEST(map_points(names, two, 100).stats.malformed_histograms == 0u);
    BOOST_TEST(m.named("fireworks.latency.overall").size() == 1u); // 2/s, all at or below 1
}

BOOST_AUTO_TEST_CASE(le_is_read_as_prometheus_reads_it)
{
    // NaN bound: Prometheus answers NaN, so no quantile; the distribution
    // uses the other buckets and the group counts as malformed.
    Mapper nan(with());
    const auto p = map_points(nan,
                              std::string(kLatency) + "{le=\"1\"} 5\n" + kLatency + "{le=\"+Inf\"} 10\n" + kLatency +
                                  "{le=\"NaN\"} 10\n",
                              100);
    BOOST_TEST(!p.has("fireworks.latency.overall.p50"));
    BOOST_TEST(p.named("fireworks.latency.overall").size() == 2u);
    BOOST_TEST(p.stats.malformed_histograms == 1u);
    // -Inf bound: kept for the quantiles (p50 is -Inf + Inf: NaN, unsent;
    // p99 is the last finite bound), never a distribution range.
    Mapper neg(with());
    const auto q = map_points(neg,
                              std::string(kLatency) + "{le=\"-Inf\"} 0\n" + kLatency + "{le=\"1\"} 5\n" + kLatency +
                                  "{le=\"+Inf\"} 10\n",
                              100);
    BOOST_TEST(!q.has("fireworks.latency.overall.p50"));
    BOOST_TEST(q.only("fireworks.latency.overall.p99") == 1.0);
    const auto b = q.named("fireworks.latency.overall");
    BOOST_TEST_REQUIRE(b.size() == 2u);
    BOOST_TEST(b[0].lower == 0.0);
    BOOST_TEST(b[0].upper == 1.0);
    BOOST_TEST(q.stats.malformed_histograms == 0u);
    // Hex bounds, as Go's ParseFloat reads them.
    Mapper hex(with());
    const auto h = map_points(hex, std::string(kLatency) + "{le=\"0x1p3\"} 5\n" + kLatency + "{le=\"+Inf\"} 10\n", 100);
    BOOST_TEST(h.stats.malformed_histograms == 0u);
    BOOST_TEST(h.only("fireworks.latency.overall.p50") == 8.0);
}

BOOST_AUTO_TEST_CASE(an_empty_label_repeats_the_series_without_it)
{
    Mapper m(with());
    const auto p = map_points(m, std::string(kRow) + "{a=\"\"} 1\n" + kRow + " 2\n", 100, 1);
    BOOST_TEST(p.only("fireworks.requests.rate") == 1.0); // the first wins, as for any repeat
}

BOOST_AUTO_TEST_CASE(a_crafted_label_value_cannot_share_another_series_carry)
{
    // This deployment_id was crafted so that, with a known hash seed, its
    // errors' carry key equalled the requests' one: the second series then
    // found its carry just submitted (0 s elapsed) and counted 0 every run.
    // The seed is the process's secret, so the two carries stay apart.
    Mapper m(with({}, true));
    const std::string payload = std::string(kRow) + "{deployment_id=\"d1\"} 1\n" + kErrors +
                                "{deployment_id=\"dep-00000000000000``F5X-4JQ9MgPnw1\"} 1\n";
    for (double now : {100.0, 160.0, 220.0}) {
        const auto p = map_points(m, payload, now);
        BOOST_TEST(p.only("fireworks.requests.count") == 60.0);
        BOOST_TEST(p.only("fireworks.requests.errors.count") == 60.0);
    }
}

BOOST_AUTO_TEST_CASE(series_whose_carry_hashes_collide_keep_their_own_carry)
{
    // With the seed known (zero), the crafted deployment_id above gives a
    // real collision: its errors' count name hashed and combined with its
    // tags' hash equals the requests' one. A carry keyed by that 64-bit
    // value alone gave the two series one carry (the second counted 0 every
    // run); keyed by the name and tags themselves, they keep their own.
    struct SeedGuard {
        fwm::util::HashSeed secret = fwm::util::hash_seed();
        SeedGuard() { fwm::util::override_hash_seed_for_tests({0, 0}); }
        ~SeedGuard() { fwm::util::override_hash_seed_for_tests(secret); }
    } zero_seed;
    const std::string crafted = "dep-00000000000000``F5X-4JQ9MgPnw1";
    auto hash = [](std::string_view s) {
        fwm::util::StreamHash h;
        h.add(s);
        return h.finish();
    };
    BOOST_TEST_REQUIRE((hash("fireworks.requests.count") ^ hash("deployment_id:d1")) ==
                       (hash("fireworks.requests.errors.count") ^ hash("deployment_id:" + crafted)));

    Mapper m(with({}, true));
    const std::string payload = std::string(kRow) + "{deployment_id=\"d1\"} 1\n" + kErrors + "{deployment_id=\"" +
                                crafted + "\"} 1\n";
    for (double now : {100.0, 160.0, 220.0}) {
        const auto p = map_points(m, payload, now);
        BOOST_TEST(p.only("fireworks.requests.count") == 60.0);
        BOOST_TEST(p.only("fireworks.requests.errors.count") == 60.0);
    }
    BOOST_TEST(m.state_entries() == 2u);
}

BOOST_AUTO_TEST_CASE(a_filtered_out_series_takes_no_name)
{
    MappingOptions o = with();
    o.exclude_metrics.emplace_back("exclude_metrics", "foo:sum_by_deployment");
    Mapper m(o);
    for (double now : {100.0, 130.0}) {
        const auto p = map_points(m, "foo:sum_by_deployment 1\nfoo 2\n", now);
        BOOST_TEST(p.only("fireworks.foo") == 2.0);
        BOOST_TEST(!p.has("fireworks.series.foo"));
        BOOST_TEST(p.stats.renamed == 0u);
    }
}

MappingOptions read_options(const std::string& json)
{
    rapidjson::Document d;
    d.Parse(json.c_str());
    BOOST_TEST_REQUIRE(!d.HasParseError(), json);
    return read_mapping_options(&d);
}

// The option named in the refusal, and what it says.
std::string refusal(const std::string& json)
{
    try {
        read_options(json);
    } catch (const fwm::util::OptionError& e) {
        return e.what();
    }
    return "accepted";
}

BOOST_AUTO_TEST_CASE(renamed_labels_are_tags_under_their_new_name_after_exclusion)
{
    MappingOptions o = read_options(R"({"rename_labels":{"replica":"pod","zone":"zone_name"},)"
                                    R"("exclude_labels":["zone"],"rates_as_counts":true})");
    o.min_collection_interval = 60;
    Mapper m(o);
    const auto p = map_points(m,
                              std::string(kRow) + "{deployment_id=\"d1\",replica=\"a\",zone=\"x\","
                                                  "base_model=\"accounts/f/models/llama\"} 1\n" +
                                  kRow + "{deployment_id=\"d1\",pod=\"a\",base_model=\"accounts/f/models/llama\"} 2\n",
                              100);
    // exclude_labels names the Fireworks label; a label renamed to another's
    // name is that label: one series.
    const auto rates = p.named("fireworks.requests.rate");
    BOOST_TEST_REQUIRE(rates.size() == 1u);
    BOOST_TEST(rates[0].tags == "base_model:accounts/f/models/llama,deployment_id:d1,model:llama,pod:a,");
    BOOST_TEST(rates[0].value == 3.0);
    BOOST_TEST(p.stats.merged == 1u);
}

BOOST_AUTO_TEST_CASE(a_renamed_label_keeps_histogram_buckets_one_series)
{
    MappingOptions o = read_options(R"({"rename_labels":{"replica":"pod","le":"bound"}})");
    o.min_collection_interval = 60;
    Mapper m(o);
    std::string payload;
    for (const auto& [le, count] : {std::pair{"10", "1"}, {"100", "2"}, {"+Inf", "3"}})
        payload += std::string(kLatency) + "{deployment_id=\"d1\",replica=\"a\",le=\"" + le + "\"} " + count + "\n";
    const auto p = map_points(m, payload, 100);
    const auto buckets = p.named("fireworks.latency.overall");
    BOOST_TEST_REQUIRE(buckets.size() == 3u); // le stays the bound: renaming it touches no histogram
    for (const auto& b : buckets)
        BOOST_TEST(b.tags == "deployment_id:d1,pod:a,");
    BOOST_TEST(p.stats.malformed_histograms == 0u);
    // ... but another series' le label is a label like any other.
    const auto q = map_points(m, "zz{le=\"1\"} 1\n", 130);
    BOOST_TEST(q.named("fireworks.zz")[0].tags == "bound:1,");
}

BOOST_AUTO_TEST_CASE(rename_labels_refuses_what_would_break_a_join_or_a_name)
{
    const std::pair<const char*, const char*> cases[] = {
        {R"({"rename_labels":{"deployment_id":"dep"}})", "option 'rename_labels.deployment_id' cannot be renamed"},
        // what the dashboard's template variable and the error-ratio monitor query
        {R"({"rename_labels":{"deployment_account":"acct"}})", "option 'rename_labels.deployment_account' cannot"},
        {R"({"rename_labels":{"http_code":"code"}})", "option 'rename_labels.http_code' cannot be renamed"},
        {R"({"rename_labels":{"base_model":"base"}})", "option 'rename_labels.base_model' cannot be renamed"},
        {R"({"rename_labels":{"replica":"hostname"}})", "names 'hostname'"},
        {R"({"rename_labels":{"replica":"model"}})", "names 'model', a tag the check or Datadog"},
        {R"({"rename_labels":{"replica":"host"}})", "names 'host'"},
        {R"({"rename_labels":{"replica":"Pod"}})", "option 'rename_labels.replica' must be a tag name"},
        {R"({"rename_labels":{"replica":""}})", "must be a tag name"},
        {R"({"rename_labels":{"replica":7}})", "option 'rename_labels.replica' must be a string, not a number"},
        {R"({"rename_labels":{"base-model":"m"}})", "option 'rename_labels' has a key (entry 1) that names no"},
        {R"({"rename_labels":{"a":"m","":"m"}})", "option 'rename_labels' has a key (entry 2) that names no"},
        {R"({"rename_labels":{"a\r\nb\u202e":"m"}})", "option 'rename_labels' has a key (entry 1) that names no"},
        {R"({"rename_labels":{"a":"x","a":"y"}})", "option 'rename_labels.a' is given twice"},
        {R"({"rename_labels":["a"]})", "option 'rename_labels' must be a mapping of Fireworks label to tag name, not a list"},
        {R"({"extra_metrics":"latency_.*"})", "'extra_metrics'"},
        {R"({"extra_metrics":["("]})", "'extra_metrics'"},
    };
    for (const auto& [json, expected] : cases) {
        const std::string what = refusal(json);
        BOOST_TEST(what.find(expected) != std::string::npos, json << " -> " << what);
    }
    std::string many = R"({"rename_labels":{)";
    for (int i = 0; i <= 256; ++i)
        many += (i ? "," : "") + ("\"l" + std::to_string(i) + "\":\"t\"");
    BOOST_TEST(refusal(many + "}}").find("holds more than 256 labels") != std::string::npos);
    const std::string long_key(100'000, 'k');
    const std::string what = refusal(R"({"rename_labels":{")" + long_key + R"(":"model"}})");
    BOOST_TEST(what.find("kkk") == std::string::npos, "the refusal quotes a key that is no label: " << what.substr(0, 200));
    // A key that is not a label name is never quoted: it may be the API key pasted in the wrong place.
    const std::string secret = refusal(R"({"rename_labels":{"fw-3b9e1c77d2a4":"m"}})");
    BOOST_TEST(secret.find("3b9e1c77d2a4") == std::string::npos, secret);
    BOOST_TEST(read_options(R"({"rename_labels":null})").rename_labels.empty());
}

BOOST_AUTO_TEST_CASE(extra_metrics_widen_metrics_and_leave_everything_alone_without_it)
{
    const std::string payload = std::string(kRow) + "{deployment_id=\"d1\"} 1\n" + kErrors + "{deployment_id=\"d1\"} 1\n" +
                                "tokens_prompt_total:sum_by_deployment{deployment_id=\"d1\"} 1\n";
    auto names = [&](const std::string& json) {
        MappingOptions o = read_options(json);
        o.min_collection_interval = 60;
        Mapper m(o);
        const auto p = map_points(m, payload, 100);
        std::set<std::string> out;
        for (const auto& x : p.all)
            out.insert(x.name);
        return out;
    };
    const auto narrow = names(R"({"metrics":["request_counter_total"]})");
    const auto wider = names(R"({"metrics":["request_counter_total"],"extra_metrics":["requests_error_.*"]})");
    const auto all = names(R"({"extra_metrics":["requests_error_.*"]})");
    BOOST_TEST(narrow.count("fireworks.requests.rate") == 1u);
    BOOST_TEST(narrow.count("fireworks.requests.errors.rate") == 0u);
    BOOST_TEST(wider.count("fireworks.requests.rate") == 1u);
    BOOST_TEST(wider.count("fireworks.requests.errors.rate") == 1u);
    BOOST_TEST(wider.count("fireworks.tokens.prompt.rate") == 0u);
    BOOST_TEST(all == names("{}"));
    BOOST_TEST(all.count("fireworks.tokens.prompt.rate") == 1u);
    // Each list has its own bound, as in the other check, where both are read.
    std::string full = R"({"metrics":[)";
    for (int i = 0; i < 256; ++i)
        full += (i ? ",\"m" : "\"m") + std::to_string(i) + "\"";
    BOOST_TEST(read_options(full + R"(],"extra_metrics":["x"]})").metrics.size() == 257u);
}

BOOST_AUTO_TEST_SUITE_END()
