// The filters' engine and the mapper's state under hostile input: Python
// re syntax honoured or refused, subjects of megabytes matched without
// recursion, a pathological pattern given up on and retired, and state
// tables that shrink when names and deployments churn.
#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include <chrono>
#include <string>

#include "mapping/mapper.hpp"
#include "mapping/pattern.hpp"
#include "parser/parser.hpp"
#include "support/json_groups.hpp"
#include "util/option_error.hpp"

using namespace fwm::mapping;
using fwm::test::map_json;
using Clock = std::chrono::steady_clock;

namespace {

std::string refusal(const std::string& text)
{
    try {
        Pattern p("metrics", text);
    } catch (const fwm::util::OptionError& e) {
        return e.what();
    }
    return "";
}

bool matches(const std::string& pattern, const std::string& subject)
{
    return Pattern("metrics", pattern).full_match(subject) == Pattern::Match::yes;
}

} // namespace

BOOST_AUTO_TEST_SUITE(patterns)

BOOST_AUTO_TEST_CASE(python_syntax_is_read_as_python_reads_it)
{
    // Each (pattern, subject, Python's re.fullmatch) was checked with Python 3.11.
    struct Case {
        const char* pattern;
        const char* subject;
        bool python;
    };
    const Case cases[] = {
        {".*_bucket", "latency_overall_ms_bucket", true},
        {"latency_.*", "tokens_prompt_total", false},
        {"a{,3}", "aaa", true},        // {,n} is 0..n in Python
        {"a{,3}", "aaaa", false},
        {"x{abc}", "x{abc}", true},     // not a repeat: a literal brace
        {"[[:alpha:]]+", "a:", false},  // Python: the set [[:alph] then ']'
        {"[[:alpha:]]+", "a]", true},
        {"(?P<d>ab)(?P=d)", "abab", true},
        {"(?i)REQUEST.*", "request_counter_total", true},
        {"a$", "a\n", false},           // fullmatch: the newline is not consumed
        {"a.b", "a\nb", false},         // '.' stops at a newline
        {"(?s)a.b", "a\nb", true},
        {"^a$", "a", true},
        {"a\\Z", "a", true},
        {"[\\b]", "\b", true},          // backspace inside a set
        {"(?:x|y)+", "xyx", true},
        {"(?i:A)b", "ab", true},
        {"(?i:A)b", "aB", false},
        {"", "", true},
        {"\\d+", "123", true},
        {"a++b", "aab", true},          // possessive, Python 3.11
        {"(?>a+)b", "aab", true},       // atomic, Python 3.11
    };
    for (const auto& c : cases)
        BOOST_TEST(matches(c.pattern, c.subject) == c.python, "pattern " << c.pattern << " on " << c.subject);
}

BOOST_AUTO_TEST_CASE(what_python_would_not_accept_or_we_cannot_honour_is_refused_with_the_option)
{
    // Python refuses all but four of these; \0 (octal), (?x) (verbose), \u
    // escapes and repeats over 65535 it accepts, and this engine does not.
    const char* refused[] = {"\\Qa\\E", "(?R)", "\\e", "(?P>x)", "a\\0", "(?x)a b", "a(?i)b", "(a", "a)", "[a",
                             "\\", "\\u00e9", "(?L)a", "x\\k<n>", "(?|a)", "a{70000}"};
    for (const char* text : refused) {
        const std::string m = refusal(text);
        BOOST_TEST(m.rfind("option 'metrics' holds the pattern '", 0) == 0u, text << " gave '" << m << "'");
    }
    BOOST_TEST(refusal(std::string(Pattern::kMaxLength + 1, 'a')).find("is longer than 200 characters") !=
               std::string::npos);
    BOOST_TEST(refusal(std::string(40, '(') + std::string(40, ')')).find("nests groups more than 32 deep") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(long_subjects_neither_recurse_nor_run_away)
{
    const std::string subject(2 * 1024 * 1024, 'a');
    const auto t0 = Clock::now();
    BOOST_TEST((Pattern("m", ".*_bucket").full_match(subject) == Pattern::Match::too_costly));
    BOOST_TEST((Pattern("m", "(a|b)*").full_match(std::string(256, 'a')) == Pattern::Match::yes));
    const Pattern evil("exclude_metrics", "(a|aa)*c");
    BOOST_TEST((evil.full_match(subject) == Pattern::Match::too_costly));
    BOOST_TEST((evil.full_match(std::string(200, 'a')) == Pattern::Match::too_costly)); // tried, and given up
    const double took = std::chrono::duration<double>(Clock::now() - t0).count();
    BOOST_TEST_MESSAGE("long subjects: four matches in " << took << " s");
}

BOOST_AUTO_TEST_CASE(a_pathological_pattern_rests_after_two_failures_in_a_run)
{
    const Pattern evil("exclude_metrics", "(x+x+)+y");
    const std::string subject(250, 'x');
    BOOST_TEST((evil.full_match(subject) == Pattern::Match::too_costly));
    BOOST_TEST(!evil.resting());
    BOOST_TEST((evil.full_match(subject) == Pattern::Match::too_costly));
    BOOST_TEST(evil.resting());
    const auto t0 = Clock::now();
    BOOST_TEST((evil.full_match("xy") == Pattern::Match::too_costly)); // without trying
    BOOST_TEST(std::chrono::duration<double>(Clock::now() - t0).count() < 0.01);
    evil.new_run();
    BOOST_TEST((evil.full_match("xxy") == Pattern::Match::yes));
}

BOOST_AUTO_TEST_CASE(subjects_past_256_bytes_are_not_tried)
{
    const Pattern any("metrics", ".*");
    BOOST_TEST((any.full_match(std::string(256, 'a')) == Pattern::Match::yes));
    BOOST_TEST((any.full_match(std::string(257, 'a')) == Pattern::Match::too_costly));
}

BOOST_AUTO_TEST_CASE(series_a_costly_pattern_cannot_judge_are_skipped_and_reported)
{
    MappingOptions o;
    o.exclude_metrics = {Pattern("exclude_metrics", "(x+x+)+y")};
    Mapper m(o);
    const std::string payload = std::string(250, 'x') + " 1\nrequest_counter_total 2\n";
    const auto parsed = fwm::parser::parse(payload); // views into payload
    std::string out;
    const MapStats stats = map_json(m, parsed, 1, out);
    BOOST_TEST(stats.filter_gave_up == 1u);
    BOOST_TEST_REQUIRE(stats.costly_pattern != nullptr);
    BOOST_TEST(stats.costly_pattern->text() == "(x+x+)+y");
    BOOST_TEST(out.find("fireworks.requests.rate") != std::string::npos);
    BOOST_TEST(out.find("xxxxxxxx") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(state_bounds)

BOOST_AUTO_TEST_CASE(names_deployments_and_carries_that_stop_coming_are_pruned)
{
    MappingOptions o;
    o.rates_as_counts = true;
    o.deployments_exclude = {Pattern("deployments.exclude", ".*-canary")};
    Mapper m(o);
    constexpr int kPerRun = 2000;
    std::size_t worst_names = 0, worst_carries = 0, worst_deployments = 0;
    for (int run = 0; run < 30; ++run) {
        std::string payload;
        for (int i = 0; i < kPerRun; ++i) {
            const std::string id = std::to_string(run) + "_" + std::to_string(i);
            payload += "churn_" + id + "_total{deployment_id=\"d" + id + "\"} 1\n";
        }
        std::string out;
        const auto parsed = fwm::parser::parse(payload); // views into payload
        map_json(m, parsed, 10.0 * run + 1, out);
        worst_names = std::max(worst_names, m.name_entries());
        worst_carries = std::max(worst_carries, m.state_entries());
        worst_deployments = std::max(worst_deployments, m.deployment_entries());
    }
    BOOST_TEST_MESSAGE("churn of " << kPerRun << " new names per run over 30 runs: at most " << worst_names
                                   << " names, " << worst_carries << " carries, " << worst_deployments
                                   << " deployments held");
    BOOST_TEST(worst_names <= 2u * kPerRun + 1024u);
    BOOST_TEST(worst_carries <= 2u * kPerRun + 1024u);
    BOOST_TEST(worst_deployments <= 2u * kPerRun + 1024u);
}

BOOST_AUTO_TEST_CASE(carries_of_series_with_huge_labels_stay_small_and_apart)
{
    // Carries outlive their series for ten minutes: one must not keep a
    // copy of labels of megabytes. Series that differ only past the
    // carry's first 240 bytes still count apart.
    MappingOptions o;
    o.rates_as_counts = true;
    Mapper m(o);
    constexpr int kSeries = 200;
    const std::string big(20000, 'x');
    std::string payload;
    for (int i = 0; i < kSeries; ++i)
        payload += "requests_total{deployment_id=\"d\",note=\"" + big + std::to_string(i) + "\"} " +
                   std::to_string(i + 1) + "\n";
    fwm::parser::ParseOptions po;
    po.max_label_value_bytes = 1u << 20; // an instance may raise it this far
    const auto parsed = fwm::parser::parse(payload, po);
    BOOST_TEST_REQUIRE(parsed.sample_count == std::size_t{kSeries});
    std::string out;
    map_json(m, parsed, 1.0, out);
    BOOST_TEST(m.state_entries() >= std::size_t{kSeries});
    BOOST_TEST_MESSAGE("carries of " << kSeries << " series with 20 KB labels: " << m.state_bytes() << " bytes");
    BOOST_TEST(m.state_bytes() < std::size_t{kSeries} * 2000, "the carries keep the labels' text");
    // A second run: each series' count is its own rate x 60 s (the window),
    // not its neighbour's, whose labels differ only at their end.
    std::string second;
    map_json(m, parsed, 61.0, second);
    rapidjson::Document d;
    d.Parse(second.c_str());
    BOOST_TEST_REQUIRE(d.IsArray());
    BOOST_TEST_REQUIRE(d.Size() == static_cast<rapidjson::SizeType>(kSeries));
    for (const auto& g : d.GetArray()) {
        std::string note;
        for (const auto& t : g["tags"].GetArray()) {
            const std::string tag = t.GetString();
            if (tag.rfind("note:", 0) == 0)
                note = tag.substr(5 + big.size());
        }
        const double counted = g["counts"][0][1].GetDouble();
        BOOST_TEST(counted == (std::stod(note) + 1) * 60, "series " << note << " counted " << counted);
    }
}

BOOST_AUTO_TEST_CASE(names_past_the_cap_are_skipped_not_kept)
{
    // 800,000 distinct names once took 870 MB and 0.7 s to free; the table
    // now holds kMaxNames at most and the rest are skipped and counted.
    Mapper m(MappingOptions{});
    std::string payload;
    const std::size_t n = kMaxNames + 2000;
    for (std::size_t i = 0; i < n; ++i)
        payload += "distinct_" + std::to_string(i) + " 1\n";
    const auto parsed = fwm::parser::parse(payload);
    for (double now : {1.0, 61.0}) {
        std::string out;
        const MapStats stats = map_json(m, parsed, now, out);
        BOOST_TEST(stats.over_name_cap == 2000u);
        BOOST_TEST(m.name_entries() == kMaxNames);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hostile_values)

BOOST_AUTO_TEST_CASE(infinite_and_huge_counts_never_reach_a_submission)
{
    // Python's int() of an infinite bucket count raises: the check would fail.
    MappingOptions o;
    o.rates_as_counts = true;
    Mapper m(o);
    const std::string payload = "latency_overall_ms_bucket:sum_by_deployment{deployment_id=\"d\",le=\"10\"} 1\n"
                                "latency_overall_ms_bucket:sum_by_deployment{deployment_id=\"d\",le=\"+Inf\"} +Inf\n"
                                "latency_prefill_ms_bucket:sum_by_deployment{deployment_id=\"d\",le=\"10\"} 1e308\n"
                                "latency_prefill_ms_bucket:sum_by_deployment{deployment_id=\"d\",le=\"+Inf\"} 1.7e308\n"
                                "tokens_prompt_per_request_bucket{deployment_id=\"d\",le=\"-Inf\"} 1\n"
                                "tokens_prompt_per_request_bucket{deployment_id=\"d\",le=\"+Inf\"} 2\n"
                                "tokens_generated_per_request_bucket{deployment_id=\"d\",le=\"+Inf\"} 1e20\n"
                                "request_counter_total{deployment_id=\"d\"} 1.7e308\n";
    const auto parsed = fwm::parser::parse(payload);
    for (double now : {100.0, 160.0}) {
        std::string out;
        const MapStats stats = map_json(m, parsed, now, out);
        BOOST_TEST(out.find("Infinity,") == std::string::npos, out); // a count or a lower bound
        BOOST_TEST(out.find("NaN") == std::string::npos, out);
        rapidjson::Document doc;
        doc.Parse<rapidjson::kParseNanAndInfFlag>(out.c_str());
        BOOST_TEST_REQUIRE(!doc.HasParseError());
        for (const auto& g : doc.GetArray()) // no count past 2^53
            for (const char* kind : {"counts", "buckets"})
                if (g.HasMember(kind))
                    for (const auto& x : g[kind].GetArray())
                        BOOST_TEST(x[1].GetDouble() <= 9007199254740992.0, out);
        BOOST_TEST(stats.malformed_histograms >= 2u);
    }
}

BOOST_AUTO_TEST_CASE(many_buckets_in_one_group_map_in_linear_time)
{
    // The second run looks up each bucket's carried fraction: one pass,
    // not a scan per bucket.
    std::string payload;
    constexpr int kBuckets = 60000;
    for (int i = 1; i <= kBuckets; ++i)
        payload += "latency_overall_ms_bucket{le=\"" + std::to_string(i) + "\"} " + std::to_string(i) + "\n";
    payload += "latency_overall_ms_bucket{le=\"+Inf\"} " + std::to_string(kBuckets) + "\n";
    const auto parsed = fwm::parser::parse(payload);
    Mapper m(MappingOptions{});
    double took[2];
    for (int run = 0; run < 2; ++run) {
        std::string out;
        const auto t0 = Clock::now();
        map_json(m, parsed, 100.0 + 60 * run, out);
        took[run] = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    BOOST_TEST_MESSAGE(kBuckets << " buckets: first run " << took[0] << " s, second " << took[1] << " s");
    BOOST_TEST(took[1] < 4 * took[0] + 0.05); // quadratic was 50 times slower
}

BOOST_AUTO_TEST_CASE(filters_share_a_time_budget_per_run)
{
    // Each try costs milliseconds yet stays under the engine's bound, so it
    // is never "too costly": only the run's budget stops it.
    const std::string core = "(?:a*a*a*)x";
    MappingOptions o;
    o.deployments_exclude = {Pattern("deployments.exclude", core + "|" + std::string(200 - core.size() - 1, 'z'))};
    Mapper m(o);
    std::string payload;
    constexpr int kIds = 400;
    for (int i = 0; i < kIds; ++i)
        payload += "generator_kv_blocks_fraction{deployment_id=\"" + std::string(245, 'a') + "-" + std::to_string(i) +
                   "\"} 0.5\n";
    const auto parsed = fwm::parser::parse(payload);
    std::size_t judged_total = 0;
    for (int run = 0; run < 100 && judged_total < kIds; ++run) {
        std::string out;
        const auto t0 = Clock::now();
        const MapStats stats = map_json(m, parsed, 100.0 + 60 * run, out);
        const double took = std::chrono::duration<double>(Clock::now() - t0).count();
        judged_total = kIds - stats.filter_gave_up;
        BOOST_TEST_MESSAGE("run " << run << ": " << took << " s, " << stats.filter_gave_up << " left for later");
        BOOST_TEST(took < 3.0); // the 1 s budget, one try past it, and the rest of the run
        if (run == 0)
            BOOST_TEST(stats.filter_over_budget);
    }
    BOOST_TEST(judged_total == static_cast<std::size_t>(kIds)); // every id judged in the end
}

BOOST_AUTO_TEST_SUITE_END()
