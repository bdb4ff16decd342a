// Hostile strings and numbers through the C ABI's JSON buffers, as the
// Python shim reads them: tags and names in the batches, values beside
// them, and the samples. Strings keep their bytes (even bytes that are not
// UTF-8: the shim decodes with replacement), nothing raw below 0x20 is left
// in the JSON, and values arrive bit for bit.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "fwm/fwm.h"

namespace {

struct Batches {
    std::vector<std::string> json;
    std::vector<double> values;
};

Batches parse_and_drain(const std::string& payload, const std::string& options, std::string* summary = nullptr,
                        std::string* samples = nullptr)
{
    fwm_result* r = nullptr;
    BOOST_TEST_REQUIRE(fwm_parse(payload.data(), payload.size(), options.c_str(), &r) == FWM_OK);
    const char* p = nullptr;
    size_t n = 0;
    if (summary && fwm_result_summary(r, &p, &n) == FWM_OK)
        summary->assign(p, n);
    if (samples && fwm_result_samples(r, &p, &n) == FWM_OK)
        samples->assign(p, n);
    Batches out;
    const double* v = nullptr;
    size_t count = 0;
    while (fwm_result_next_batch(r, &p, &n, &v, &count) == FWM_OK && n > 0) {
        out.json.emplace_back(p, n);
        out.values.insert(out.values.end(), v, v + count);
    }
    fwm_result_free(r);
    return out;
}

// JSON forbids raw control characters in strings; the writer escapes them.
bool has_raw_control(const std::string& json)
{
    for (const char c : json)
        if (static_cast<unsigned char>(c) < 0x20)
            return true;
    return false;
}

std::string str(const rapidjson::Value& v)
{
    return {v.GetString(), v.GetStringLength()}; // NUL included
}

const std::string kGauge = "generator_kv_slots_fraction:avg_by_deployment";

} // namespace

BOOST_AUTO_TEST_SUITE(abi_batches)

BOOST_AUTO_TEST_CASE(hostile_tags_keep_their_text_and_the_batch_stays_utf8_json)
{
    // A label value with raw control bytes, escaped newline, quote and
    // backslash, U+2028 and DEL; instance tags with NUL, CR/LF, bytes that
    // are not UTF-8 (raw, and a lone surrogate escape, which RapidJSON
    // turns into its three bytes: both become U+FFFD, so that the batch is
    // UTF-8 as fwm.h promises), U+2028/2029, and two tags that escaping
    // multiplies (64 KiB of quotes, 64 KiB of 0x01).
    const std::string label = "a\x01" "b\rc\\nd\xe2\x80\xa8" "e\\\\f\\\"g\x7f";
    const std::string payload = kGauge + "{deployment_id=\"" + label + "\"} 1\n";
    const std::string quotes(65536, '"'), ones(65536, '\x01');
    std::string big, escaped_ones; // the two as the options' JSON writes them
    for (std::size_t i = 0; i < quotes.size(); ++i) {
        big += "\\\"";
        escaped_ones += "\\u0001";
    }
    const std::string opts = "{\"mapping\":{\"tags\":[\"nul:\\u0000x\",\"crlf:a\\r\\nb\",\"bad:\xff\xfe\","
                             "\"lone:\\udc80\",\"ls:\xe2\x80\xa8\\u2029\",\"ctl:\\u001f\x7f\",\"q:\\\"\\\\/\","
                             "\"big:" + big + "\",\"ones:" + escaped_ones + "\"]}}";
    const Batches b = parse_and_drain(payload, opts);
    BOOST_TEST_REQUIRE(b.json.size() == 1u);
    BOOST_TEST(!has_raw_control(b.json[0]));
    rapidjson::Document doc; // default flags: bytes that are not UTF-8 are read as they are
    doc.Parse(b.json[0].data(), b.json[0].size());
    BOOST_TEST_REQUIRE(!doc.HasParseError());
    const auto& groups = doc["groups"];
    BOOST_TEST_REQUIRE(groups.Size() == 1u);
    std::set<std::string> tags;
    for (const auto& t : groups[0][0].GetArray())
        tags.insert(str(t));
    const std::set<std::string> expected = {
        "deployment_id:a\x01" "b\rc\nd\xe2\x80\xa8" "e\\f\"g\x7f",
        std::string("nul:\0x", 6),
        "crlf:a\r\nb",
        "bad:\xef\xbf\xbd\xef\xbf\xbd", // each byte that is not UTF-8 is U+FFFD, as a strict decoder reads it
        "lone:\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
        "ls:\xe2\x80\xa8\xe2\x80\xa9",
        "ctl:\x1f\x7f",
        "q:\"\\/",
        "big:" + quotes,
        "ones:" + ones,
    };
    BOOST_TEST((tags == expected));
    BOOST_TEST(b.values == std::vector<double>{1.0});
}

BOOST_AUTO_TEST_CASE(hostile_metric_names_become_plain_names)
{
    // Quoted names with an escaped newline, U+2028, a quote and a NUL escape
    // are unknown series: their derived names hold [a-z0-9_.] only.
    const std::string payload = "{\"we\\nird\xe2\x80\xa8name\",deployment_id=\"x\"} 2\n"
                                "{\"q\\\"uote\\\\\",deployment_id=\"x\"} 3\n";
    const Batches b = parse_and_drain(payload, "{\"mapping\":{}}");
    BOOST_TEST_REQUIRE(b.json.size() == 1u);
    rapidjson::Document doc;
    doc.Parse(b.json[0].data(), b.json[0].size());
    BOOST_TEST_REQUIRE(!doc.HasParseError());
    std::set<std::string> names;
    for (const auto& n : doc["names"].GetArray()) {
        const std::string name = str(n);
        names.insert(name);
        BOOST_TEST(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.") == std::string::npos, name);
    }
    BOOST_TEST(names.count("fireworks.we_ird___name") == 1u);
    BOOST_TEST(names.size() == 2u);
    BOOST_TEST(b.values == (std::vector<double>{2.0, 3.0}));
}

BOOST_AUTO_TEST_CASE(hostile_numbers_arrive_bit_for_bit_and_non_finite_ones_are_counted)
{
    // Values travel as doubles beside the JSON, never as text: -0, the
    // smallest subnormal, the largest double, 2^53 + 1 (read as 2^53), a
    // decimal with no exact binary form. NaN and infinities are not
    // submitted; the summary counts them.
    const char* values[] = {"-0.0", "4.9406564584124654e-324", "1.7976931348623157e308", "9007199254740993", "0.1",
                            "NaN", "+Inf", "-Inf"};
    std::string payload;
    for (std::size_t i = 0; i < sizeof values / sizeof values[0]; ++i)
        payload += kGauge + "{deployment_id=\"d" + std::to_string(i) + "\"} " + values[i] + "\n";
    std::string summary, samples;
    const Batches b = parse_and_drain(payload, "{\"samples\":true,\"mapping\":{}}", &summary, &samples);
    BOOST_TEST_REQUIRE(b.values.size() == 5u);
    for (std::size_t i = 0; i < b.values.size(); ++i) {
        const double want = std::strtod(values[i], nullptr);
        BOOST_TEST(std::memcmp(&b.values[i], &want, sizeof want) == 0, values[i]);
    }
    BOOST_TEST(std::signbit(b.values[0]));
    BOOST_TEST(summary.find("\"non_finite\":3") != std::string::npos, summary);
    // The samples write numbers as text: each reads back to the same double,
    // and the non-finite ones are the strings Prometheus uses.
    rapidjson::Document doc;
    std::size_t line = 0;
    for (std::size_t at = 0, nl; (nl = samples.find('\n', at)) != std::string::npos; at = nl + 1, ++line) {
        doc.Parse(samples.data() + at, nl - at);
        BOOST_TEST_REQUIRE(!doc.HasParseError());
        const auto& v = doc["value"];
        if (line < 5) {
            const double want = std::strtod(values[line], nullptr);
            const double got = v.GetDouble();
            BOOST_TEST(std::memcmp(&got, &want, sizeof want) == 0, values[line]);
        } else {
            BOOST_TEST(str(v) == (line == 5 ? "NaN" : line == 6 ? "+Inf" : "-Inf"));
        }
    }
    BOOST_TEST(line == 8u);
}

BOOST_AUTO_TEST_SUITE_END()
