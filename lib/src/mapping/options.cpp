#include "mapping/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "util/option_reader.hpp"

namespace fwm::mapping {
namespace {

using util::OptionError;
using Value = rapidjson::Value;
using util::option_bool;
using util::option_wrong;

constexpr std::size_t kMaxPatterns = 256; // per option
constexpr std::size_t kMaxQuantiles = 32;


std::vector<std::string> strings(const std::string& name, const Value& v)
{
    if (v.IsNull())
        return {};
    if (!v.IsArray())
        option_wrong(name, "must be a list of strings");
    std::vector<std::string> out;
    for (const auto& e : v.GetArray()) {
        if (!e.IsString())
            option_wrong(name, "must be a list of strings");
        out.emplace_back(e.GetString(), e.GetStringLength());
    }
    return out;
}

std::vector<Pattern> patterns(const std::string& name, const Value& v)
{
    std::vector<Pattern> out;
    auto texts = strings(name, v);
    if (texts.size() > kMaxPatterns)
        option_wrong(name, "holds more than " + std::to_string(kMaxPatterns) + " patterns");
    for (auto& text : texts)
        out.emplace_back(name, std::move(text));
    return out;
}

} // namespace

// The shortest decimal that reads back as q, its point moved two places:
// distinct quantiles always get distinct names (0.999 -> p99_9, 0.5 -> p50,
// 0.0001 -> p0_01).
std::string quantile_suffix(double q)
{
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, q, std::chars_format::fixed);
    std::string digits(buf, r.ptr); // "0.999", "1", "0.0001"
    std::string whole = digits, fraction;
    if (const auto dot = digits.find('.'); dot != std::string::npos) {
        whole = digits.substr(0, dot);
        fraction = digits.substr(dot + 1);
    }
    fraction.resize(std::max<std::size_t>(fraction.size(), 2), '0');
    whole += fraction.substr(0, 2);
    fraction.erase(0, 2);
    whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size() - 1)); // "050" -> "50", "000" -> "0"
    return "p" + whole + (fraction.empty() ? "" : "_" + fraction);
}

namespace {

std::vector<double> read_quantiles(const std::string& name, const Value& x)
{
    if (!x.IsArray())
        option_wrong(name, "must be a list of numbers above 0 and at most 1");
    std::vector<double> quantiles;
    for (const auto& q : x.GetArray()) {
        if (!q.IsNumber() || !(q.GetDouble() > 0 && q.GetDouble() <= 1))
            option_wrong(name, "must be a list of numbers above 0 and at most 1 (0.5 is the median)");
        if (std::find(quantiles.begin(), quantiles.end(), q.GetDouble()) != quantiles.end())
            option_wrong(name, "lists " + quantile_suffix(q.GetDouble()).substr(1) + "% twice: each quantile once");
        if (quantiles.size() == kMaxQuantiles)
            option_wrong(name, "holds more than " + std::to_string(kMaxQuantiles) + " quantiles");
        quantiles.push_back(q.GetDouble());
    }
    return quantiles;
}

// deployments: {include: [...], exclude: [...]}; null is none.
void read_deployments(const Value& x, MappingOptions& o)
{
    if (x.IsNull())
        return;
    if (!x.IsObject())
        option_wrong("deployments", "must be a mapping with include and exclude lists");
    for (rapidjson::SizeType k = 0; k < x.MemberCount(); ++k) {
        const auto& d = *(x.MemberBegin() + k);
        const std::string key(d.name.GetString(), d.name.GetStringLength());
        if (key == "include")
            o.deployments_include = patterns("deployments.include", d.value);
        else if (key == "exclude")
            o.deployments_exclude = patterns("deployments.exclude", d.value);
        else
            option_wrong("deployments." + key.substr(0, 32), "is unknown (expected include or exclude)");
    }
}

} // namespace

MappingOptions read_mapping_options(const Value* v)
{
    MappingOptions o;
    if (v == nullptr || v->IsNull())
        return o;
    if (!v->IsObject())
        throw OptionError("the mapping options must be a mapping");
    // Index loops: clang reads RapidJSON's iterator comparisons as ambiguous in C++20.
    for (rapidjson::SizeType i = 0; i < v->MemberCount(); ++i) {
        const auto& member = *(v->MemberBegin() + i);
        const std::string name(member.name.GetString(), member.name.GetStringLength());
        const Value& x = member.value;
        if (name == "quantiles") {
            o.quantiles = read_quantiles(name, x);
        } else if (name == "histogram_buckets_as_distributions") {
            o.distributions = option_bool(name, x);
        } else if (name == "rates_as_counts") {
            o.rates_as_counts = option_bool(name, x);
        } else if (name == "metrics") {
            o.metrics = patterns(name, x);
        } else if (name == "exclude_metrics") {
            o.exclude_metrics = patterns(name, x);
        } else if (name == "exclude_labels") {
            o.exclude_labels = strings(name, x);
        } else if (name == "deployments") {
            read_deployments(x, o);
        } else if (name == "tags") {
            o.tags = strings(name, x);
        } else if (name == "agent_tags") {
            o.agent_tags = strings(name, x);
        } else if (name == "min_collection_interval") {
            if (!x.IsNumber() || !(x.GetDouble() > 0 && x.GetDouble() <= 86400))
                option_wrong(name, "must be a number of seconds above 0");
            o.min_collection_interval = x.GetDouble();
        } else if (name == "account_id") {
            o.account_id = util::option_string(name, x);
        } else {
            throw OptionError("unknown option '" + name.substr(0, 64) + "'");
        }
    }
    return o;
}

} // namespace fwm::mapping
