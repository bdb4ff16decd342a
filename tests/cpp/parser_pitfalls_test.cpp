// The cases that break other parsers, and the decisions we made where
// libraries disagree (duplicate TYPE lines, duplicate series).
#include <boost/test/unit_test.hpp>

#include "parse_fixture.hpp"
#include "parser/decimal.hpp"
#include "parser/lex.hpp"

#include <cerrno>
#include <cmath>
#ifndef _WIN32
#include <locale.h>
#endif
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using fwm::parser::MetricType;
using fwm::parser::ParseOptions;
using fwm::test::Parsed;

BOOST_AUTO_TEST_SUITE(pitfalls)

BOOST_AUTO_TEST_CASE(label_value_with_spaces_braces_commas_and_hash)
{
    Parsed p("foo{q=\"a b} {c, d=\\\"e\\\" # f\",z=\"1\"} 2 1000\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.label(0, "q") == "a b} {c, d=\"e\" # f");
    BOOST_TEST(p.label(0, "z") == "1");
    BOOST_TEST(p.sample(0).value == 2.0);
    BOOST_TEST(p.sample(0).timestamp == 1.0);
}

BOOST_AUTO_TEST_CASE(exemplar_is_never_mistaken_for_a_timestamp)
{
    // prometheus_client's text parser takes the last token as a timestamp.
    Parsed p("foo_total 5 # {trace_id=\"1\"} 9 1700000000\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(!p.sample(0).has_timestamp);
    BOOST_TEST(p.sample(0).value == 5.0);
    BOOST_TEST(p.result.exemplars.at(0).value == 9.0);
}

BOOST_AUTO_TEST_CASE(escaped_quote_before_closing_quote)
{
    Parsed p("foo{a=\"ends with \\\\\",b=\"x\"} 1\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.label(0, "a") == "ends with \\");
    BOOST_TEST(p.label(0, "b") == "x");
}

BOOST_AUTO_TEST_CASE(long_label_values_cross_vector_boundaries)
{
    // The label scanner reads 16 bytes at a time: put quotes and escapes at
    // every offset around a block boundary.
    for (std::size_t pad = 0; pad < 40; ++pad) {
        const std::string v(pad, 'x');
        Parsed p("m{a=\"" + v + "\",b=\"" + v + "\\\"" + v + "\"} 1\n");
        BOOST_TEST_REQUIRE(p.size() == 1u);
        BOOST_TEST(p.label(0, "a") == v);
        BOOST_TEST(p.label(0, "b") == v + "\"" + v);
    }
}

BOOST_AUTO_TEST_CASE(unterminated_value_at_buffer_end_is_an_error_not_an_overread)
{
    for (std::size_t pad = 0; pad < 40; ++pad) {
        Parsed p("m{a=\"" + std::string(pad, 'y'));
        BOOST_TEST(p.size() == 0u);
        BOOST_TEST(p.result.invalid_lines == 1u);
    }
}

BOOST_AUTO_TEST_CASE(quote_on_next_line_does_not_close_value)
{
    Parsed p("m{a=\"open\nn{b=\"x\"} 1\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.sample(0).name == "n");
    BOOST_TEST(p.result.invalid_lines == 1u);
    BOOST_TEST(p.error(0).rfind("1: unterminated quoted string", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(duplicate_type_line_keeps_the_first_and_counts_the_second)
{
    Parsed p("# TYPE foo counter\n# TYPE foo gauge\nfoo_total 1\n");
    BOOST_TEST(p.result.families.at(0).type == MetricType::counter);
    BOOST_TEST(p.result.invalid_lines == 1u);
    BOOST_TEST(p.error(0) == "2: duplicate TYPE line for 'foo' (first on line 1)");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.sample(0).family == 0u);
}

BOOST_AUTO_TEST_CASE(duplicate_help_line_keeps_the_first)
{
    Parsed p("# HELP foo one\n# HELP foo two\nfoo 1\n");
    BOOST_TEST(p.result.families.at(0).help == "one");
    BOOST_TEST(p.error(0) == "2: duplicate HELP line for 'foo' (first on line 1)");
}

BOOST_AUTO_TEST_CASE(duplicate_series_keeps_the_first_and_counts_the_rest)
{
    Parsed p("foo{a=\"1\",b=\"2\"} 1\nfoo{b=\"2\",a=\"1\"} 2\nfoo{a=\"1\",b=\"3\"} 3\nfoo{a=\"1\",b=\"2\"} 4\n");
    BOOST_TEST_REQUIRE(p.size() == 2u);
    BOOST_TEST(p.sample(0).value == 1.0);
    BOOST_TEST(p.sample(1).value == 3.0);
    BOOST_TEST(p.result.invalid_lines == 2u);
    BOOST_TEST(p.error(0).rfind("2: duplicate series (first on line 1)", 0) == 0u);
    BOOST_TEST(p.error(1).rfind("4: duplicate series (first on line 1)", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(dropping_a_duplicate_keeps_exemplars_with_their_samples)
{
    Parsed p("a 1 # {id=\"a\"} 10\na 2 # {id=\"dup\"} 20\nb 3\nc 4 # {id=\"c\"} 40\n# EOF\n");
    BOOST_TEST_REQUIRE(p.size() == 3u);
    BOOST_TEST_REQUIRE(p.result.exemplars.size() == 2u);
    BOOST_TEST(p.result.exemplars[p.sample(0).exemplar].value == 10.0);
    BOOST_TEST(p.result.exemplars[p.sample(0).exemplar].sample == 0u);
    BOOST_TEST(p.sample(1).exemplar == fwm::parser::kNoExemplar);
    BOOST_TEST(p.result.exemplars[p.sample(2).exemplar].value == 40.0);
    BOOST_TEST(p.result.exemplars[p.sample(2).exemplar].sample == 2u);
}

BOOST_AUTO_TEST_CASE(duplicate_errors_take_their_place_in_line_order)
{
    ParseOptions o;
    o.max_errors = 3;
    Parsed p("a 1\nbad{\na 2\nworse{\na 3\nworst{\n", o);
    BOOST_TEST(p.result.invalid_lines == 5u);
    BOOST_TEST_REQUIRE(p.result.errors.size() == 3u);
    BOOST_TEST(p.error(0) == "2: unterminated label set at end of line");
    BOOST_TEST(p.error(1) == "3: duplicate series (first on line 1)");
    BOOST_TEST(p.error(2) == "4: unterminated label set at end of line");
}

BOOST_AUTO_TEST_CASE(many_series_with_one_repeat)
{
    std::string text;
    for (int i = 0; i < 50000; ++i)
        text += "m{i=\"" + std::to_string(i) + "\"} 1\n";
    text += "m{i=\"777\"} 2\n";
    Parsed p(text);
    BOOST_TEST(p.size() == 50000u);
    BOOST_TEST(p.result.invalid_lines == 1u);
    BOOST_TEST(p.error(0) == "50001: duplicate series (first on line 778)");
}

BOOST_AUTO_TEST_CASE(duplicate_series_can_be_allowed)
{
    ParseOptions o;
    o.reject_duplicate_series = false;
    Parsed p("foo 1\nfoo 2\n", o);
    BOOST_TEST(p.size() == 2u);
    BOOST_TEST(p.result.invalid_lines == 0u);
}

BOOST_AUTO_TEST_CASE(same_labels_under_another_name_are_another_series)
{
    Parsed p("a{x=\"1\"} 1\nb{x=\"1\"} 1\na{x=\"2\",y=\"\"} 1\n");
    BOOST_TEST(p.size() == 3u);
    BOOST_TEST(p.result.invalid_lines == 0u);
}

BOOST_AUTO_TEST_CASE(a_label_with_an_empty_value_is_no_label)
{
    // Prometheus' data model: an empty label value is the same as no label,
    // so the third and fourth lines repeat the first and second series.
    Parsed p("a{x=\"1\"} 1\nb 2\na{x=\"1\",y=\"\"} 3\nb{z=\"\"} 4\n");
    BOOST_TEST(p.size() == 2u);
    BOOST_TEST(p.result.invalid_lines == 2u);
    BOOST_TEST(p.result.samples[0].value == 1.0);
    BOOST_TEST(p.result.samples[1].value == 2.0);
}

BOOST_AUTO_TEST_CASE(escaped_and_plain_spellings_of_one_value_are_one_series)
{
    Parsed p("a{x=\"q\"} 1\na{x=\"\\q\"} 2\na{x=\"\\\\\"} 3\na{x=\"\\\\\"} 4\n");
    // "\q" keeps its backslash, so it differs from "q"; "\\" twice repeats.
    BOOST_TEST(p.size() == 3u);
    BOOST_TEST(p.result.invalid_lines == 1u);
}

BOOST_AUTO_TEST_CASE(type_line_after_its_samples_types_only_later_samples)
{
    Parsed p("foo 1\n# TYPE foo gauge\nfoo{a=\"1\"} 2\n");
    BOOST_TEST_REQUIRE(p.size() == 2u);
    BOOST_TEST(p.sample(0).family == fwm::parser::kNoFamily);
    BOOST_TEST(p.sample(1).family == 0u);
}

BOOST_AUTO_TEST_CASE(value_that_looks_like_a_name_is_not_a_number)
{
    Parsed p("a infinite\nb nano\nc nan(123)\nd 0x1p3\ne 1_000\nf 1e\ng --1\nh ++1\n");
    BOOST_TEST(p.size() == 0u);
    BOOST_TEST(p.result.invalid_lines == 8u);
}

BOOST_AUTO_TEST_CASE(huge_exponent_saturates_to_infinity)
{
    Parsed p("a 1e999\nb -1e999\nc 1e-999\n");
    BOOST_TEST_REQUIRE(p.size() == 3u);
    BOOST_TEST(p.sample(0).value == std::numeric_limits<double>::infinity());
    BOOST_TEST(p.sample(1).value == -std::numeric_limits<double>::infinity());
    BOOST_TEST(p.sample(2).value == 0.0);
}

BOOST_AUTO_TEST_CASE(eof_in_prometheus_text_is_a_comment)
{
    Parsed p("a 1\n# EOF\nb 2\n");
    BOOST_TEST(p.result.format == fwm::parser::Format::prometheus);
    BOOST_TEST(p.size() == 2u);
    BOOST_TEST(!p.result.saw_eof);
}

BOOST_AUTO_TEST_CASE(content_after_eof_is_reported_not_parsed)
{
    Parsed p("a 1\n# EOF\nb 2\n", {fwm::parser::Format::openmetrics});
    BOOST_TEST(p.size() == 1u);
    BOOST_TEST(p.result.saw_eof);
    BOOST_TEST(p.result.invalid_lines == 1u);
    BOOST_TEST(p.error(0) == "3: content after '# EOF' ignored");
}

BOOST_AUTO_TEST_CASE(nul_byte_in_line_is_an_error)
{
    Parsed p(std::string("a\0b 1\nc 2\n", 10));
    BOOST_TEST(p.size() == 1u);
    BOOST_TEST(p.result.invalid_lines == 1u);
}

BOOST_AUTO_TEST_CASE(labels_and_no_space_before_value)
{
    Parsed p("a{x=\"1\"}2\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.sample(0).value == 2.0);
}

BOOST_AUTO_TEST_CASE(space_between_name_and_labels)
{
    Parsed p("a {x=\"1\"} 2\n");
    BOOST_TEST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.label(0, "x") == "1");
}

BOOST_AUTO_TEST_SUITE_END()

// How Prometheus reads an le label: Go's strconv.ParseFloat, whose answers
// (value, or error) are written beside each case.
BOOST_AUTO_TEST_CASE(le_is_read_as_gos_parse_float_reads_it)
{
    struct Case {
        const char* text;
        bool ok;
        double value;
    };
    const double inf = std::numeric_limits<double>::infinity();
    const Case cases[] = {
        {"1_000", true, 1000},   {"0x1p1_0", true, 1024}, {"1e1_0", true, 1e10},      {"0x_1p0", true, 1},
        {"0x1_0p0", true, 16},   {"0x1p-2000", true, 0},  {"0x.8p1", true, 1},        {"0x1.p1", true, 2},
        {"0x1.8p1", true, 3},    {"0X1P+1", true, 2},     {"+0x1p0", true, 1},        {"infinity", true, inf},
        {"-Infinity", true, -inf}, {"inF", true, inf},    {".5", true, 0.5},          {"5.", true, 5},
        {"1_0.5", true, 10.5},   {"0_1", true, 1},        {"1e-400", true, 0},        {"+Inf", true, inf},
        {"0x1p2000", false, 0},  {"1e400", false, 0},     {"-0x1p2000", false, 0},    {"-nan", false, 0},
        {"+NaN", false, 0},      {"0xp1", false, 0},      {"0x1p", false, 0},         {"0x1", false, 0},
        {"0x1_p0", false, 0},    {"0x1p_1", false, 0},    {"0x-1p0", false, 0},       {"1__0", false, 0},
        {"_1", false, 0},        {"1_", false, 0},        {"1e", false, 0},           {"", false, 0},
        {"infin", false, 0},     {"nan(1)", false, 0},    {"1.2.3", false, 0},        {"0x", false, 0},
    };
    for (const auto& c : cases) {
        double v = -1;
        const bool ok = fwm::parser::lex::parse_go_float(c.text, v);
        BOOST_TEST(ok == c.ok, c.text);
        if (ok && c.ok)
            BOOST_TEST(v == c.value, c.text);
    }
    double nan = 0;
    BOOST_TEST(fwm::parser::lex::parse_go_float("NaN", nan));
    BOOST_TEST(std::isnan(nan));
    const std::string long_hex = "0x" + std::string(200, '0') + "1p0";
    double one = 0;
    BOOST_TEST((fwm::parser::lex::parse_go_float(long_hex, one) && one == 1.0));
}

namespace {

// The C library's reading in the C locale: glibc's strtod_l, or on Windows
// mingw-w64's own correctly rounded strtod (msvcrt's is not).
struct CStrtod {
#ifdef _WIN32
    double operator()(const char* text, char** end) const { return ::__mingw_strtod(text, end); }
#else
    locale_t c = ::newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    ~CStrtod() { ::freelocale(c); }
    double operator()(const char* text, char** end) const { return ::strtod_l(text, end, c); }
#endif
};

} // namespace

// Values are read by an exact fast path for short decimals and glibc's
// strtod_l for the rest (Zig's libc++ has no floating-point from_chars): both
// must give the correctly rounded double, bit for bit, that strtod gives.
BOOST_AUTO_TEST_CASE(decimal_values_are_correctly_rounded_on_every_path)
{
    std::mt19937_64 rng(2017);
    const CStrtod c_strtod;
    auto check = [&](const std::string& text) {
        double ours = -1;
        BOOST_TEST_REQUIRE(fwm::parser::lex::parse_value(text, ours), text);
        const double want = c_strtod(text.c_str(), nullptr);
        BOOST_TEST(std::memcmp(&ours, &want, sizeof want) == 0, text << ": " << ours << " != " << want);
    };
    for (const char* edge : {"9007199254740992", "9007199254740993", "9007199254740993.0", "1e22", "1e23",
                             "0.1", "0.30000000000000004", "1e-22", "1e-23", "123456789012345678901234567890",
                             "0.0000000000000000000000000001", "2.2250738585072011e-308", "4.9e-324", "1e-400",
                             "1.7976931348623157e308", "1e309", "00000000000000000000001.5", ".5", "5.", "0e0"})
        check(edge);
    for (int i = 0; i < 200000; ++i) {
        std::string text;
        const int digits = 1 + static_cast<int>(rng() % 20);
        const int point = static_cast<int>(rng() % (digits + 2)) - 1; // -1: no point
        for (int d = 0; d < digits; ++d) {
            if (d == point)
                text += '.';
            text += static_cast<char>('0' + rng() % 10);
        }
        if (rng() % 3 == 0)
            text += "e" + std::to_string(static_cast<int>(rng() % 70) - 35);
        check(text);
    }
}

// Decimal text is read by fast_float. Against glibc's strtod_l in the C
// locale (the reader before it), on random strings of our form, including
// 17 to 800 digits, halfway cases, subnormals, and out-of-range exponents:
// the same double, bit for bit, and the same overflow verdict.
BOOST_AUTO_TEST_CASE(decimals_read_exactly_as_strtod_in_the_c_locale)
{
    const CStrtod c_strtod;
    std::mt19937_64 rng(20261207);
    auto digits = [&](std::size_t n) {
        std::string d;
        for (std::size_t i = 0; i < n; ++i)
            d += static_cast<char>('0' + rng() % 10);
        return d;
    };
    const char* fixed[] = {"9007199254740993", "2.2250738585072011e-308", "4.9406564584124654e-324", "2.4703282292062328e-324",
                           "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
                           "0.30000000000000004", "1e23", "8.589973e9", "5e-324", "1e-400", "00000000000000000000.5",
                           "123456789012345678901234567890e-30"};
    std::vector<std::string> texts(std::begin(fixed), std::end(fixed));
    for (int i = 0; i < 20000; ++i) {
        const std::size_t whole = rng() % 30, frac = rng() % (i % 50 == 0 ? 800 : 25);
        std::string t = digits(whole == 0 && frac == 0 ? 1 : whole);
        if (frac)
            t += "." + digits(frac);
        if (rng() % 2)
            t += (rng() % 2 ? "e-" : "e") + std::to_string(rng() % 700);
        texts.push_back(t);
    }
    int differ = 0;
    for (const auto& t : texts) {
        double ours = -1;
        const auto verdict = fwm::parser::to_double(t, false, ours);
        errno = 0;
        char* end = nullptr;
        const double theirs = c_strtod(t.c_str(), &end);
        const bool overflow = errno == ERANGE && std::isinf(theirs);
        BOOST_REQUIRE(end == t.c_str() + t.size());
        BOOST_TEST((verdict == fwm::parser::Conversion::overflow) == overflow, t);
        if (std::memcmp(&ours, &theirs, sizeof ours) != 0 && differ++ < 5)
            BOOST_TEST(ours == theirs, t);
    }
    BOOST_TEST(differ == 0);
    double v = 7;
    for (const char* bad : {"", "-1", "+1", "inf", "nan", "1e", "1.2.3", " 1", "1 ", ".", "e5", "1e+", "0x10"})
        BOOST_TEST((fwm::parser::to_double(bad, false, v) == fwm::parser::Conversion::syntax), bad);
    BOOST_TEST(v == 7); // a refused text leaves the output alone
}
