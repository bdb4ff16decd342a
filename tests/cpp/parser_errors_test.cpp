// Malformed lines: each is skipped and counted, the first few keep their line
// number and a reason, and the rest of the payload is still used.
#include <boost/test/unit_test.hpp>

#include "parse_fixture.hpp"

using fwm::parser::ParseOptions;
using fwm::test::Parsed;

namespace {

// Parses "good 1\n<line>\ngood2 2\n" and returns the single error.
std::string error_for(const std::string& line)
{
    Parsed p("good 1\n" + line + "\ngood2 2\n");
    BOOST_TEST(p.size() == 2u, "the lines around '" << line << "' survive");
    BOOST_TEST(p.result.invalid_lines == 1u, "'" << line << "' is one invalid line");
    return p.result.errors.empty() ? std::string() : p.error(0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(skips_line_with_unterminated_label_value)
{
    BOOST_TEST(error_for("foo{a=\"oops} 1") == "2: unterminated quoted string at '\"oops} 1'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_unterminated_label_set)
{
    BOOST_TEST(error_for("foo{a=\"1\"") == "2: unterminated label set at end of line");
}

BOOST_AUTO_TEST_CASE(skips_line_with_unquoted_label_value)
{
    BOOST_TEST(error_for("foo{a=1} 1") == "2: label value must be quoted at '1} 1'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_missing_equals)
{
    BOOST_TEST(error_for("foo{a \"1\"} 1") == "2: expected '=' after label name at '\"1\"} 1'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_missing_comma_between_labels)
{
    BOOST_TEST(error_for("foo{a=\"1\" b=\"2\"} 1") == "2: expected ',' or '}' after label at 'b=\"2\"} 1'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_invalid_label_name)
{
    BOOST_TEST(error_for("foo{1a=\"1\"} 1") == "2: invalid label name at '1a=\"1\"} 1'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_duplicate_label_name)
{
    BOOST_TEST(error_for("foo{a=\"1\",a=\"2\"} 1") == "2: duplicate label name at 'a=\"2\"} 1'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_missing_value)
{
    BOOST_TEST(error_for("foo{a=\"1\"}") == "2: missing value at end of line");
    BOOST_TEST(error_for("foo") == "2: missing value at end of line");
}

BOOST_AUTO_TEST_CASE(skips_line_with_invalid_value)
{
    BOOST_TEST(error_for("foo 1.2.3") == "2: invalid value at '1.2.3'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_invalid_timestamp)
{
    BOOST_TEST(error_for("foo 1 soon") == "2: invalid timestamp at 'soon'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_text_after_timestamp)
{
    BOOST_TEST(error_for("foo 1 1000 extra") == "2: unexpected text after sample at 'extra'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_invalid_metric_name)
{
    BOOST_TEST(error_for("9foo 1") == "2: invalid metric name at '9foo 1'");
    BOOST_TEST(error_for("foo-bar 1") == "2: invalid character in metric name at '-bar 1'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_quoted_name_after_a_label)
{
    BOOST_TEST(error_for("{a=\"1\", \"name\"} 1") == "2: expected '=' after label name at '} 1'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_invalid_utf8_label_value)
{
    BOOST_TEST(error_for("foo{a=\"\xC3\x28\"} 1") == "2: quoted string is not valid UTF-8 at '\"?(\"} 1'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_invalid_utf8_after_an_escape)
{
    // Found by the fuzzer: the fast scan stops at the first backslash.
    BOOST_TEST(error_for("foo{a=\"x\\\\y \xC0z\"} 1") == "2: quoted string is not valid UTF-8 at '\"x\\\\y ?z\"} 1'");
}

BOOST_AUTO_TEST_CASE(skips_line_with_bad_exemplar)
{
    BOOST_TEST(error_for("foo 1 # trace") == "2: invalid exemplar: expected '{' at 'trace'");
    BOOST_TEST(error_for("foo 1 # {a=\"b\"}") == "2: invalid exemplar value at end of line");
}

BOOST_AUTO_TEST_CASE(skips_unknown_type)
{
    BOOST_TEST(error_for("# TYPE foo meter") == "2: unknown metric type at 'meter'");
    BOOST_TEST(error_for("# TYPE foo") == "2: missing metric type at end of line");
    BOOST_TEST(error_for("# TYPE foo gauge extra") == "2: unexpected text after TYPE at ' extra'");
}

BOOST_AUTO_TEST_CASE(skips_help_without_name)
{
    BOOST_TEST(error_for("# HELP") == "2: missing metric name at end of line");
}

BOOST_AUTO_TEST_CASE(truncates_long_excerpts)
{
    const std::string e = error_for("foo " + std::string(100, '7') + "x");
    BOOST_TEST(e == "2: invalid value at '" + std::string(32, '7') + "...'");
}

BOOST_AUTO_TEST_CASE(keeps_only_the_first_errors_but_counts_all)
{
    std::string payload;
    for (int i = 0; i < 20; ++i)
        payload += "bad{ " + std::to_string(i) + "\nok" + std::to_string(i) + " 1\n";
    ParseOptions o;
    o.max_errors = 3;
    Parsed p(payload, o);
    BOOST_TEST(p.size() == 20u);
    BOOST_TEST(p.result.invalid_lines == 20u);
    BOOST_TEST_REQUIRE(p.result.errors.size() == 3u);
    BOOST_TEST(p.result.errors[0].line == 1u);
    BOOST_TEST(p.result.errors[1].line == 3u);
    BOOST_TEST(p.result.errors[2].line == 5u);
}

BOOST_AUTO_TEST_CASE(failed_line_leaves_no_labels_behind)
{
    Parsed p("a{x=\"1\",y=\"2\"} bad\nb{z=\"3\"} 1\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.result.labels.size() == 1u);
    BOOST_TEST(p.label_list(0) == "z=3");
}

BOOST_AUTO_TEST_CASE(error_excerpt_never_carries_invalid_utf8)
{
    Parsed p("foo \xFF\xFE\n");
    BOOST_TEST_REQUIRE(p.result.errors.size() == 1u);
    BOOST_TEST(p.error(0) == "1: invalid value at '?" "?'");
}

BOOST_AUTO_TEST_SUITE_END()
