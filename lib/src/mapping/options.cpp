#include "mapping/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "options/fields.hpp"
#include "util/option_reader.hpp"

namespace fwm::mapping {
namespace {

using options::OptionSpec;
using util::OptionError;
using Value = rapidjson::Value;
using util::option_wrong;

constexpr std::size_t kMaxPatterns = 256; // per option
constexpr std::size_t kMaxQuantiles = 32;

// Tags the Agent adds itself (service:<name>): an option of the C ABI's, not of conf.yaml.
constexpr OptionSpec kAgentTags{.name = "agent_tags", .reader = options::Reader::mapping, .type = options::Type::array,
                                .item = options::Type::string};

std::vector<Pattern> patterns(const std::string& name, const Value& v)
{
    std::vector<Pattern> out;
    auto texts = options::get_strings(name, v);
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

// Distinct quantiles within the row's bounds.
void read_quantiles(const OptionSpec& row, const Value& x, MappingOptions& o)
{
    const std::string name(row.name);
    const std::string bounds =
        "above " + options::number_text(row.min) + " and at most " + options::number_text(row.max);
    if (!x.IsArray())
        option_wrong(name, "must be a list of numbers " + bounds);
    std::vector<double> quantiles;
    for (const auto& q : x.GetArray()) {
        if (!q.IsNumber() || !(q.GetDouble() > row.min && q.GetDouble() <= row.max))
            option_wrong(name, "must be a list of numbers " + bounds + " (0.5 is the median)");
        if (std::find(quantiles.begin(), quantiles.end(), q.GetDouble()) != quantiles.end())
            option_wrong(name, "lists " + quantile_suffix(q.GetDouble()).substr(1) + "% twice: each quantile once");
        if (quantiles.size() == kMaxQuantiles)
            option_wrong(name, "holds more than " + std::to_string(kMaxQuantiles) + " quantiles");
        quantiles.push_back(q.GetDouble());
    }
    o.quantiles = std::move(quantiles);
}

// deployments: {include: [...], exclude: [...]}; null is none.
void read_deployments(const OptionSpec&, const Value& x, MappingOptions& o)
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

void read_metrics(const OptionSpec& row, const Value& x, MappingOptions& o)
{
    o.metrics = patterns(std::string(row.name), x);
}

void read_exclude_metrics(const OptionSpec& row, const Value& x, MappingOptions& o)
{
    o.exclude_metrics = patterns(std::string(row.name), x);
}

// The interval the Agent runs the instance at, as the shim has read it
// (never 0: 0 or less is the Agent's default), at most the row's bound.
void read_interval(const OptionSpec& row, const Value& x, MappingOptions& o)
{
    if (!x.IsNumber() || !(x.GetDouble() > 0 && x.GetDouble() <= row.max))
        option_wrong(std::string(row.name), "must be a number of seconds above 0");
    o.min_collection_interval = x.GetDouble();
}

template <auto... Path>
consteval options::Field<MappingOptions> to(std::string_view name)
{
    return options::member<MappingOptions, Path...>(name);
}

constexpr options::Field<MappingOptions> kFields[] = {
    options::custom<MappingOptions>("quantiles", read_quantiles),
    to<&MappingOptions::distributions>("histogram_buckets_as_distributions"),
    to<&MappingOptions::rates_as_counts>("rates_as_counts"),
    options::custom<MappingOptions>("metrics", read_metrics),
    options::custom<MappingOptions>("exclude_metrics", read_exclude_metrics),
    to<&MappingOptions::exclude_labels>("exclude_labels"),
    options::custom<MappingOptions>("deployments", read_deployments),
    options::custom<MappingOptions>("min_collection_interval", read_interval),
    // Given by the shim (tags) or the client (account_id), and by the C ABI.
    to<&MappingOptions::tags>("tags"),
    to<&MappingOptions::account_id>("account_id"),
    options::member<MappingOptions, &MappingOptions::agent_tags>(kAgentTags),
};
// A mapping option added to spec.yaml needs its field here.
static_assert(options::covers(kFields, options::Reader::mapping));

} // namespace

MappingOptions read_mapping_options(const Value* v)
{
    MappingOptions o;
    if (v == nullptr || v->IsNull())
        return o;
    if (!v->IsObject())
        throw OptionError("the mapping options must be a mapping");
    options::read_fields(*v, kFields, o);
    return o;
}

} // namespace fwm::mapping
