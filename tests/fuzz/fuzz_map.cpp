// libFuzzer target for the mapping. The input is a payload; its last eight
// bytes (when there are that many) also choose the mapping options: the
// filters (from a pool that includes pathological patterns, or a pattern
// taken from the input itself, through the Python-syntax translator), the
// excluded labels, the quantiles, and how far to stretch a name or a label
// value past the parser's limits. Every payload is mapped twice (a first
// run and a later one) and must give a well-formed submissions buffer:
// valid UTF-8, finite gauges, whole non-negative counts, distribution
// buckets that are whole, positive and ordered, and no name + tags (+
// bounds) submitted twice in one run.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "mapping/mapper.hpp"
#include "mapping/pattern.hpp"
#include "parser/parser.hpp"
#include "support/json_groups.hpp"
#include "util/option_error.hpp"
#include "util/text.hpp"

namespace {

using fwm::mapping::Pattern;

void require(bool ok)
{
    if (!ok)
        std::abort();
}

void check(const std::string& json)
{
    require(fwm::util::valid_utf8(json));
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseNanAndInfFlag>(json.c_str());
    require(!doc.HasParseError() && doc.IsArray());
    // No two submissions of one run share kind, name, tags and bounds.
    std::set<std::string> seen;
    auto once = [&seen](const char* kind, const std::string& tags, const rapidjson::Value& point) {
        std::string key = std::string(kind) + '\x1f' + point[0].GetString() + '\x1f' + tags;
        for (rapidjson::SizeType i = 2; i < point.Size(); ++i)
            key += '\x1f' + std::to_string(point[i].GetDouble());
        require(seen.insert(std::move(key)).second);
    };
    for (const auto& group : doc.GetArray()) {
        require(group["tags"].IsArray());
        std::vector<std::string> tag_list;
        for (const auto& t : group["tags"].GetArray())
            tag_list.emplace_back(t.GetString(), t.GetStringLength());
        // The Agent tells series apart by their sorted tags, repeats dropped.
        std::sort(tag_list.begin(), tag_list.end());
        tag_list.erase(std::unique(tag_list.begin(), tag_list.end()), tag_list.end());
        std::string tags;
        for (const auto& t : tag_list)
            tags += t + '\x1e';
        for (const auto& g : group["gauges"].GetArray()) {
            require(g[1].IsNumber() && std::isfinite(g[1].GetDouble()));
            once("g", tags, g);
        }
        for (const char* kind : {"counts", "buckets"})
            if (group.HasMember(kind))
                for (const auto& x : group[kind].GetArray())
                    once(kind, tags, x);
        if (group.HasMember("counts"))
            for (const auto& c : group["counts"].GetArray())
                require(std::isfinite(c[1].GetDouble()) && c[1].GetDouble() >= 0 &&
                        c[1].GetDouble() == std::floor(c[1].GetDouble()));
        if (group.HasMember("buckets"))
            for (const auto& b : group["buckets"].GetArray()) {
                // Python's int() of the count, then the Agent's long long, must take it.
                const double count = b[1].GetDouble(), lower = b[2].GetDouble(), upper = b[3].GetDouble();
                require(std::isfinite(count) && count >= 1 && count == std::floor(count) && count <= 9007199254740992.0);
                require(std::isfinite(lower) && !std::isnan(upper) && lower <= upper);
            }
    }
}

// Patterns users write, and patterns that would make a backtracking engine
// run for ever or read Python syntax differently.
const char* const kPool[] = {
    ".*_bucket", "latency_.*", "request_counter_total", ".*-canary", "(a+)+b", "(a|aa)*c", "(.*)*x",
    "(?i)REQUEST.*", "[[:alpha:]]+", "a{,3}", "(?P<x>d)(?P=x).*", "dep\\Z", "", "[^x]*", "(?s).*",
    "d[0-9]+", "(?:(?:a*)*)*b", "((((((((((.*))))))))))_total",
};

std::vector<Pattern> pick(std::uint64_t bits, const char* option)
{
    std::vector<Pattern> out;
    for (std::size_t i = 0; i < std::size(kPool); ++i)
        if (bits & (1ull << i))
            out.emplace_back(option, kPool[i]);
    return out;
}

// Inserts `n` copies of the byte after the first `marker` (a label value's
// opening quote, or the payload start): tokens of any length, cheaply.
std::string stretch(std::string_view text, char marker, std::size_t n)
{
    const auto at = marker == '\0' ? 0 : text.find(marker);
    if (at == std::string_view::npos || at + 1 >= text.size())
        return std::string(text);
    std::string out(text.substr(0, at + 1));
    out.append(n, text[at + 1]);
    out.append(text.substr(at + 1));
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::uint64_t bits = 0;
    if (text.size() >= 8) {
        std::memcpy(&bits, text.data() + text.size() - 8, 8);
        text.remove_suffix(8);
    }
    std::string payload(text);
    if (bits & (1ull << 40))
        payload = stretch(payload, '"', static_cast<std::size_t>((bits >> 41) & 7) * 1200 + 100);
    if (bits & (1ull << 44))
        payload = stretch(payload, '\0', static_cast<std::size_t>((bits >> 45) & 3) * 600 + 100);

    fwm::mapping::MappingOptions options;
    options.rates_as_counts = bits & (1ull << 47);
    options.distributions = !(bits & (1ull << 48));
    static const std::vector<double> kQuantiles[] = {{}, {0.5}, {0.0, 1.0}, {0.5, 0.9, 0.95, 0.99}, {1e-9, 0.999}};
    options.quantiles = kQuantiles[(bits >> 49) % std::size(kQuantiles)];
    static const char* const kLabels[] = {"le", "deployment_id", "http_code", "base_model", "deployment"};
    for (std::size_t i = 0; i < std::size(kLabels); ++i)
        if (bits & (1ull << (52 + i)))
            options.exclude_labels.emplace_back(kLabels[i]);
    const std::uint64_t pool_bits = bits & ((1ull << std::size(kPool)) - 1);
    switch ((bits >> 57) & 3) {
    case 0: options.exclude_metrics = pick(pool_bits, "exclude_metrics"); break;
    case 1: options.metrics = pick(pool_bits, "metrics"); break;
    case 2: options.deployments_exclude = pick(pool_bits, "deployments.exclude"); break;
    case 3: options.deployments_include = pick(pool_bits, "deployments.include"); break;
    }
    if (bits & (1ull << 59)) {
        // A pattern from the input itself: the translator and Boost's
        // compiler must refuse it cleanly or accept it.
        try {
            options.exclude_metrics.emplace_back("exclude_metrics", std::string(text.substr(0, 48)));
        } catch (const fwm::util::OptionError& e) {
            require(fwm::util::valid_utf8(e.what()));
        }
    }
    options.tags = {"env:fuzz"};

    const auto parsed = fwm::parser::parse(payload);
    fwm::mapping::Mapper mapper(options);
    // The collector's way: parsed and mapped a chunk at a time. It must
    // give exactly the whole payload's submissions, run after run.
    fwm::mapping::Mapper in_chunks(options);
    const std::size_t chunk = 1 + static_cast<std::size_t>((bits >> 61) & 7) * 5;
    for (double now : {100.0, 117.5}) {
        std::string out, chunked;
        fwm::test::map_json(mapper, parsed, now, out);
        check(out);
        in_chunks.begin(now);
        const auto rest = fwm::parser::parse_chunked(payload, {}, chunk,
                                                     [&](const fwm::parser::ParseResult& c) { in_chunks.add(c); });
        {
            fwm::test::JsonGroups sink(chunked);
            in_chunks.finish(sink);
        }
        require(chunked == out);
        require(rest.invalid_lines == parsed.invalid_lines && rest.sample_count == parsed.sample_count);
    }
    return 0;
}
