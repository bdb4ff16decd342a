// parse_chunked: the same parse handed over a few samples at a time. Every
// chunk size must give the samples, errors and counts of the whole parse,
// repeats of a series in an earlier chunk included.
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

#include "parser/parser.hpp"
#include "parser/series_set.hpp"
#include "util/hash_seed.hpp"

using namespace fwm::parser;

namespace {

struct Flat {
    std::vector<std::string> samples; // name{labels} value, in order
    std::vector<std::string> errors;  // line: reason
    std::size_t invalid = 0, count = 0, exemplars = 0, families = 0;
};

std::string render(const ParseResult& r, const Sample& s)
{
    std::string out(s.name);
    out += '{';
    for (std::uint32_t i = 0; i < s.labels_count; ++i) {
        const Label& l = r.labels_of(s)[i];
        out.append(l.name).append("=").append(l.value).append(",");
    }
    out += "} " + std::to_string(s.value);
    if (s.exemplar != kNoExemplar)
        out += " # " + std::to_string(r.exemplars[s.exemplar].value);
    return out;
}

Flat whole(const std::string& text)
{
    const auto r = parse(text);
    Flat f;
    for (const auto& s : r.samples)
        f.samples.push_back(render(r, s));
    for (const auto& e : r.errors)
        f.errors.push_back(std::to_string(e.line) + ": " + e.reason);
    f.invalid = r.invalid_lines;
    f.count = r.sample_count;
    f.exemplars = r.exemplar_count;
    f.families = r.families.size();
    return f;
}

Flat in_chunks(const std::string& text, std::size_t chunk)
{
    Flat f;
    std::size_t calls = 0;
    const auto r = parse_chunked(text, {}, chunk, [&](const ParseResult& c) {
        ++calls;
        BOOST_TEST(c.samples.size() <= chunk);
        for (const auto& s : c.samples)
            f.samples.push_back(render(c, s));
    });
    BOOST_TEST(r.samples.empty());
    for (const auto& e : r.errors)
        f.errors.push_back(std::to_string(e.line) + ": " + e.reason);
    f.invalid = r.invalid_lines;
    f.count = r.sample_count;
    f.exemplars = r.exemplar_count;
    f.families = r.families.size();
    BOOST_TEST(calls >= (f.count + chunk - 1) / chunk);
    return f;
}

void same(const Flat& a, const Flat& b, const std::string& what)
{
    BOOST_TEST(a.samples == b.samples, what);
    BOOST_TEST(a.errors == b.errors, what);
    BOOST_TEST(a.invalid == b.invalid, what);
    BOOST_TEST(a.count == b.count, what);
    BOOST_TEST(a.exemplars == b.exemplars, what);
    BOOST_TEST(a.families == b.families, what);
}

} // namespace

BOOST_AUTO_TEST_SUITE(chunked)

BOOST_AUTO_TEST_CASE(every_chunk_size_gives_the_whole_parse)
{
    const std::string text = "# TYPE a counter\n"
                             "a_total{x=\"1\"} 1\n"
                             "a_total{x=\"2\"} 2\n"
                             "bad{ 3\n"
                             "a_total{x=\"1\"} 9\n"          // a repeat of line 2
                             "b{y=\"q\\\"uote\",x=\"1\"} 4\n" // an unescaped value lives in the arena
                             "b{x=\"1\",y=\"q\\\"uote\"} 5\n" // the same series, labels in another order
                             "c 6 # {t=\"1\"} 0.5\n"
                             "a_total{x=\"2\"} 7\n"              // a repeat of line 3, chunks later
                             "# EOF\n";                           // OpenMetrics: the exemplar is valid
    const Flat reference = whole(text);
    BOOST_TEST(reference.invalid == 4u);
    for (std::size_t chunk : {1u, 2u, 3u, 1000u})
        same(in_chunks(text, chunk), reference, "chunk " + std::to_string(chunk));
}

BOOST_AUTO_TEST_CASE(random_payloads_with_repeats_parse_the_same_in_chunks)
{
    std::mt19937 rng(9);
    for (int trial = 0; trial < 200; ++trial) {
        std::string text;
        const int lines = 1 + static_cast<int>(rng() % 60);
        for (int i = 0; i < lines; ++i) {
            const auto kind = rng() % 10;
            const std::string labels = "{d=\"" + std::to_string(rng() % 5) + "\",e=\"" + std::to_string(rng() % 3) + "\"}";
            if (kind == 0)
                text += "broken{ line\n";
            else if (kind == 1)
                text += "# TYPE m" + std::to_string(rng() % 3) + " gauge\n";
            else
                text += "m" + std::to_string(rng() % 3) + labels + " " + std::to_string(rng() % 100) + "\n";
        }
        const Flat reference = whole(text);
        for (std::size_t chunk : {1u, 4u, 17u})
            same(in_chunks(text, chunk), reference, "trial " + std::to_string(trial));
    }
}

BOOST_AUTO_TEST_CASE(series_whose_hashes_collide_are_still_two)
{
    // Two series crafted so that their 64-bit series hashes are equal under
    // a known seed (the process's own is secret and random): in chunks, the
    // earlier one's line is read again and compared.
    const fwm::util::HashSeed secret = fwm::util::hash_seed();
    fwm::util::override_hash_seed_for_tests({0, 0});
    const std::string text = "request_counter_total{deployment_id=\"deploymentAAAAAA\"} 1\n"
                             "request_counter_total{deployment_id=\"zlrfxtfbaU]v;!#A\"} 2\n"
                             "request_counter_total{deployment_id=\"deploymentAAAAAA\"} 3\r\n"
                             "request_counter_total{deployment_id=\"zlrfxtfbaU]v;!#A\"} 4\n";
    const auto r = parse(text, {});
    BOOST_TEST_REQUIRE(r.samples.size() == 2u);
    BOOST_TEST(series_hash(r, r.samples[0]) == series_hash(r, r.samples[1])); // the collision is real
    const Flat reference = whole(text);
    BOOST_TEST(reference.invalid == 2u);
    for (std::size_t chunk : {1u, 2u, 3u})
        same(in_chunks(text, chunk), reference, "chunk " + std::to_string(chunk));
    fwm::util::override_hash_seed_for_tests(secret);
    const auto again = parse(text, {});
    BOOST_TEST(series_hash(again, again.samples[0]) != series_hash(again, again.samples[1]));
}

BOOST_AUTO_TEST_CASE(a_repeat_with_an_empty_label_is_found_across_chunks)
{
    const std::string text = "x{a=\"\"} 1\ny 2\nx 3\ny{b=\"\"} 4\n";
    const Flat reference = whole(text);
    BOOST_TEST(reference.samples.size() == 2u);
    BOOST_TEST(reference.invalid == 2u);
    same(in_chunks(text, 1), reference, "chunk 1");
}

BOOST_AUTO_TEST_SUITE_END()
