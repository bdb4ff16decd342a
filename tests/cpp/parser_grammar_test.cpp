// One named case per grammar point of the Prometheus text and OpenMetrics formats.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "parse_fixture.hpp"

using fwm::parser::Format;
using fwm::parser::MetricType;
using fwm::test::Parsed;

BOOST_AUTO_TEST_SUITE(grammar)

BOOST_AUTO_TEST_CASE(parses_sample_without_labels)
{
    Parsed p("up 1\n");
    BOOST_TEST(p.size() == 1u);
    BOOST_TEST(p.sample(0).name == "up");
    BOOST_TEST(p.sample(0).labels_count == 0u);
    BOOST_TEST(p.sample(0).value == 1.0);
    BOOST_TEST(!p.sample(0).has_timestamp);
    BOOST_TEST(p.result.invalid_lines == 0u);
}

BOOST_AUTO_TEST_CASE(parses_sample_with_labels_in_payload_order)
{
    Parsed p("request_counter_total:sum_by_deployment{base_model=\"accounts/fireworks/models/deepseek-v3\",deployment_id=\"d1\"} 0.25\n");
    BOOST_TEST(p.size() == 1u);
    BOOST_TEST(p.sample(0).name == "request_counter_total:sum_by_deployment");
    BOOST_TEST(p.label_list(0) == "base_model=accounts/fireworks/models/deepseek-v3,deployment_id=d1");
    BOOST_TEST(p.sample(0).value == 0.25);
}

BOOST_AUTO_TEST_CASE(accepts_empty_label_braces)
{
    Parsed p("foo{} 3\n");
    BOOST_TEST(p.size() == 1u);
    BOOST_TEST(p.sample(0).labels_count == 0u);
    BOOST_TEST(p.sample(0).value == 3.0);
}

BOOST_AUTO_TEST_CASE(accepts_trailing_comma_in_labels)
{
    Parsed p("foo{a=\"1\",b=\"2\",} 3\n");
    BOOST_TEST(p.size() == 1u);
    BOOST_TEST(p.label_list(0) == "a=1,b=2");
}

BOOST_AUTO_TEST_CASE(accepts_runs_of_spaces_and_tabs_between_tokens)
{
    Parsed p("foo \t {  a = \"1\" ,\tb=\"2\"  }\t  7  \t 1700000000000 \t\n");
    BOOST_TEST(p.size() == 1u);
    BOOST_TEST(p.label_list(0) == "a=1,b=2");
    BOOST_TEST(p.sample(0).value == 7.0);
    BOOST_TEST(p.sample(0).has_timestamp);
    BOOST_TEST(p.sample(0).timestamp == 1700000000.0);
}

BOOST_AUTO_TEST_CASE(accepts_crlf_line_endings)
{
    Parsed p("# TYPE foo gauge\r\nfoo{a=\"x\"} 1\r\nbar 2\r\n");
    BOOST_TEST(p.size() == 2u);
    BOOST_TEST(p.label(0, "a") == "x");
    BOOST_TEST(p.sample(1).value == 2.0);
    BOOST_TEST(p.result.families.at(0).type == MetricType::gauge);
    BOOST_TEST(p.result.invalid_lines == 0u);
}

BOOST_AUTO_TEST_CASE(accepts_missing_final_newline)
{
    Parsed p("a 1\nb 2");
    BOOST_TEST(p.size() == 2u);
    BOOST_TEST(p.sample(1).name == "b");
    BOOST_TEST(p.sample(1).value == 2.0);
}

BOOST_AUTO_TEST_CASE(ignores_empty_and_blank_lines)
{
    Parsed p("\n\na 1\n   \n\t\nb 2\n\n");
    BOOST_TEST(p.size() == 2u);
    BOOST_TEST(p.sample(1).line == 6u);
    BOOST_TEST(p.result.invalid_lines == 0u);
}

BOOST_AUTO_TEST_CASE(parses_empty_payload)
{
    Parsed p("");
    BOOST_TEST(p.size() == 0u);
    BOOST_TEST(p.result.lines == 0u);
    BOOST_TEST(p.result.invalid_lines == 0u);
}

BOOST_AUTO_TEST_CASE(ignores_plain_comments)
{
    Parsed p("# just a comment\n#another\n# HELPER not help\na 1\n");
    BOOST_TEST(p.size() == 1u);
    BOOST_TEST(p.result.families.empty());
    BOOST_TEST(p.result.invalid_lines == 0u);
}

BOOST_AUTO_TEST_CASE(reads_help_with_escapes)
{
    Parsed p("# HELP foo A \\\\ backslash and\\na newline; \\\" stays in text format\nfoo 1\n");
    BOOST_TEST(p.result.families.size() == 1u);
    BOOST_TEST(p.result.families[0].help == "A \\ backslash and\na newline; \\\" stays in text format");
}

BOOST_AUTO_TEST_CASE(reads_openmetrics_help_quote_escape)
{
    Parsed p("# HELP foo say \\\"hi\\\"\nfoo 1\n# EOF\n");
    BOOST_TEST(p.result.format == Format::openmetrics);
    BOOST_TEST(p.result.families[0].help == "say \"hi\"");
}

BOOST_AUTO_TEST_CASE(help_without_text_is_empty)
{
    Parsed p("# HELP foo\nfoo 1\n");
    BOOST_TEST(p.result.families.size() == 1u);
    BOOST_TEST(p.result.families[0].help.empty());
    BOOST_TEST(p.result.invalid_lines == 0u);
}

BOOST_AUTO_TEST_CASE(reads_every_metric_type)
{
    Parsed p("# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n# TYPE d summary\n# TYPE e untyped\n"
             "# TYPE f unknown\n# TYPE g gaugehistogram\n# TYPE h stateset\n# TYPE i info\n");
    const MetricType want[] = {MetricType::counter, MetricType::gauge, MetricType::histogram,
                               MetricType::summary, MetricType::untyped, MetricType::unknown,
                               MetricType::gaugehistogram, MetricType::stateset, MetricType::info};
    BOOST_TEST_REQUIRE(p.result.families.size() == 9u);
    for (std::size_t i = 0; i < 9; ++i) {
        BOOST_TEST(p.result.families[i].type == want[i]);
        BOOST_TEST(p.result.families[i].type_line == i + 1);
    }
    BOOST_TEST(p.result.invalid_lines == 0u);
}

BOOST_AUTO_TEST_CASE(reads_unit_line)
{
    Parsed p("# TYPE latency_seconds histogram\n# UNIT latency_seconds seconds\n# EOF\n");
    BOOST_TEST(p.result.families.at(0).unit == "seconds");
    BOOST_TEST(p.result.families.at(0).type == MetricType::histogram);
}

BOOST_AUTO_TEST_CASE(links_histogram_samples_to_their_family)
{
    Parsed p("# TYPE rpc histogram\n"
             "rpc_bucket{le=\"1\"} 1\nrpc_bucket{le=\"+Inf\"} 2\nrpc_sum 3\nrpc_count 2\nrpc_created 5\nother 1\n");
    BOOST_TEST_REQUIRE(p.size() == 6u);
    for (std::size_t i = 0; i < 5; ++i)
        BOOST_TEST(p.sample(i).family == 0u);
    BOOST_TEST(p.sample(5).family == fwm::parser::kNoFamily);
}

BOOST_AUTO_TEST_CASE(links_counter_and_summary_suffixes_to_their_family)
{
    Parsed p("# TYPE req counter\nreq_total 4\nreq_created 1\n# TYPE q summary\nq{quantile=\"0.5\"} 1\nq_sum 2\nq_count 3\n"
             "# TYPE g gauge\ng_total 1\n");
    BOOST_TEST_REQUIRE(p.size() == 6u);
    BOOST_TEST(p.sample(0).family == 0u);
    BOOST_TEST(p.sample(1).family == 0u);
    BOOST_TEST(p.sample(2).family == 1u);
    BOOST_TEST(p.sample(3).family == 1u);
    BOOST_TEST(p.sample(4).family == 1u);
    // A gauge has no _total samples: that name is its own, untyped series.
    BOOST_TEST(p.sample(5).family == fwm::parser::kNoFamily);
}

BOOST_AUTO_TEST_CASE(keeps_le_values_as_written)
{
    Parsed p("h_bucket{le=\"1\"} 1\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"1e3\"} 2\nh_bucket{le=\"+Inf\"} 3\n",
             {});
    BOOST_TEST_REQUIRE(p.size() == 4u);
    BOOST_TEST(p.label(0, "le") == "1");
    BOOST_TEST(p.label(1, "le") == "1.0");
    BOOST_TEST(p.label(2, "le") == "1e3");
    BOOST_TEST(p.label(3, "le") == "+Inf");
}

BOOST_AUTO_TEST_CASE(unescapes_label_values)
{
    Parsed p("foo{a=\"back\\\\slash\",b=\"say \\\"hi\\\"\",c=\"two\\nlines\"} 1\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.label(0, "a") == "back\\slash");
    BOOST_TEST(p.label(0, "b") == "say \"hi\"");
    BOOST_TEST(p.label(0, "c") == "two\nlines");
}

BOOST_AUTO_TEST_CASE(unknown_escape_keeps_its_backslash)
{
    Parsed p("foo{path=\"C:\\dir\\tab\"} 1\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.label(0, "path") == "C:\\dir\\tab");
}

BOOST_AUTO_TEST_CASE(label_values_without_escapes_are_not_copied)
{
    Parsed p("foo{a=\"plain\",b=\"esc\\\\aped\"} 1\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    const auto& labels = p.result.labels;
    BOOST_TEST(p.points_into_input(labels[0].value));
    BOOST_TEST(p.points_into_input(p.sample(0).name));
    BOOST_TEST(!p.points_into_input(labels[1].value));
    BOOST_TEST(labels[1].value == "esc\\aped");
}

BOOST_AUTO_TEST_CASE(accepts_utf8_in_label_values)
{
    Parsed p("foo{city=\"Z\xC3\xBCrich\",emoji=\"\xF0\x9F\x94\xA5 fire\"} 1\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.label(0, "city") == "Z\xC3\xBCrich");
    BOOST_TEST(p.label(0, "emoji") == "\xF0\x9F\x94\xA5 fire");
}

BOOST_AUTO_TEST_CASE(reads_quoted_utf8_metric_name_inside_braces)
{
    Parsed p("{\"my.metric\", \"label.name\"=\"v\", plain=\"w\"} 1\n{\"only.name\"} 2\n");
    BOOST_TEST_REQUIRE(p.size() == 2u);
    BOOST_TEST(p.sample(0).name == "my.metric");
    BOOST_TEST(p.label_list(0) == "label.name=v,plain=w");
    BOOST_TEST(p.sample(1).name == "only.name");
    BOOST_TEST(p.sample(1).labels_count == 0u);
}

BOOST_AUTO_TEST_CASE(reads_quoted_label_names_after_plain_metric_name)
{
    Parsed p("foo{\"service.name\"=\"api\"} 1\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.label(0, "service.name") == "api");
}

BOOST_AUTO_TEST_CASE(reads_quoted_names_in_help_and_type)
{
    Parsed p("# HELP \"my.metric\" dotted\n# TYPE \"my.metric\" counter\n{\"my.metric\"} 1\n");
    BOOST_TEST_REQUIRE(p.result.families.size() == 1u);
    BOOST_TEST(p.result.families[0].name == "my.metric");
    BOOST_TEST(p.result.families[0].help == "dotted");
    BOOST_TEST(p.result.families[0].type == MetricType::counter);
    BOOST_TEST(p.sample(0).family == 0u);
}

BOOST_AUTO_TEST_CASE(reads_decimal_and_exponent_values)
{
    Parsed p("a 0\nb -1.5\nc 1e3\nd 2.5E-2\ne +7\nf .5\ng 123456789012345678901234567890\n");
    BOOST_TEST_REQUIRE(p.size() == 7u);
    BOOST_TEST(p.sample(0).value == 0.0);
    BOOST_TEST(p.sample(1).value == -1.5);
    BOOST_TEST(p.sample(2).value == 1000.0);
    BOOST_TEST(p.sample(3).value == 0.025);
    BOOST_TEST(p.sample(4).value == 7.0);
    BOOST_TEST(p.sample(5).value == 0.5);
    BOOST_TEST(p.sample(6).value == 1.2345678901234568e29);
}

BOOST_AUTO_TEST_CASE(reads_nan_and_infinities_in_every_spelling)
{
    Parsed p("a NaN\nb nan\nc NAN\nd +Inf\ne -Inf\nf inf\ng +inf\nh Infinity\ni -infinity\nj INF\n");
    BOOST_TEST_REQUIRE(p.size() == 10u);
    for (std::size_t i = 0; i < 3; ++i)
        BOOST_TEST(std::isnan(p.sample(i).value));
    const double inf = std::numeric_limits<double>::infinity();
    BOOST_TEST(p.sample(3).value == inf);
    BOOST_TEST(p.sample(4).value == -inf);
    BOOST_TEST(p.sample(5).value == inf);
    BOOST_TEST(p.sample(6).value == inf);
    BOOST_TEST(p.sample(7).value == inf);
    BOOST_TEST(p.sample(8).value == -inf);
    BOOST_TEST(p.sample(9).value == inf);
}

BOOST_AUTO_TEST_CASE(reads_integer_millisecond_timestamps)
{
    Parsed p("a 1 1700000000123\nb 2 -5000\n");
    BOOST_TEST_REQUIRE(p.size() == 2u);
    BOOST_TEST(p.sample(0).timestamp == 1700000000.123);
    BOOST_TEST(p.sample(1).timestamp == -5.0);
}

BOOST_AUTO_TEST_CASE(reads_openmetrics_float_second_timestamps)
{
    Parsed p("a 1 1700000000.5\nb 2 1700000001\n# EOF\n");
    BOOST_TEST(p.result.format == Format::openmetrics);
    BOOST_TEST_REQUIRE(p.size() == 2u);
    BOOST_TEST(p.sample(0).timestamp == 1700000000.5);
    BOOST_TEST(p.sample(1).timestamp == 1700000001.0);
}

BOOST_AUTO_TEST_CASE(forced_format_overrides_detection)
{
    Parsed p("a 1 1700000001\n", {Format::openmetrics});
    BOOST_TEST(p.result.format == Format::openmetrics);
    BOOST_TEST(p.sample(0).timestamp == 1700000001.0);
}

BOOST_AUTO_TEST_CASE(eof_ends_openmetrics_body)
{
    Parsed p("# TYPE a gauge\na 1\n# EOF\n");
    BOOST_TEST(p.result.saw_eof);
    BOOST_TEST(p.size() == 1u);
    BOOST_TEST(p.result.invalid_lines == 0u);
}

BOOST_AUTO_TEST_CASE(reads_exemplar_apart_from_timestamp)
{
    Parsed p("# TYPE h histogram\n"
             "h_bucket{le=\"0.5\"} 3 # {trace_id=\"abc\"} 0.25 1700000000.5\n"
             "h_bucket{le=\"+Inf\"} 4 1700000001 # {trace_id=\"def\"} 0.75\n"
             "# EOF\n");
    BOOST_TEST_REQUIRE(p.size() == 2u);
    BOOST_TEST(!p.sample(0).has_timestamp);
    BOOST_TEST(p.sample(0).value == 3.0);
    BOOST_TEST_REQUIRE(p.result.exemplars.size() == 2u);
    const auto& e0 = p.result.exemplars[p.sample(0).exemplar];
    BOOST_TEST(e0.value == 0.25);
    BOOST_TEST(e0.has_timestamp);
    BOOST_TEST(e0.timestamp == 1700000000.5);
    BOOST_TEST(p.result.labels[e0.labels_begin].value == "abc");
    BOOST_TEST(p.sample(1).has_timestamp);
    BOOST_TEST(p.sample(1).timestamp == 1700000001.0);
    const auto& e1 = p.result.exemplars[p.sample(1).exemplar];
    BOOST_TEST(e1.value == 0.75);
    BOOST_TEST(!e1.has_timestamp);
    // Exemplar labels are not the sample's labels.
    BOOST_TEST(p.label_list(0) == "le=0.5");
}

BOOST_AUTO_TEST_CASE(reads_exemplar_in_prometheus_text)
{
    Parsed p("foo_total 5 # {id=\"x\"} 1\n");
    BOOST_TEST(p.result.format == Format::prometheus);
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(!p.sample(0).has_timestamp);
    BOOST_TEST(p.sample(0).exemplar == 0u);
}

BOOST_AUTO_TEST_CASE(counts_lines_for_every_sample)
{
    Parsed p("# HELP a x\n# TYPE a gauge\na 1\n\nb 2\n");
    BOOST_TEST(p.sample(0).line == 3u);
    BOOST_TEST(p.sample(1).line == 5u);
    BOOST_TEST(p.result.lines == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
