#include "mapping/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>

#include "options/fields.hpp"
#include "util/option_reader.hpp"
#include "util/tag_names.hpp"
#include "util/text.hpp"

namespace fwm::mapping {
namespace {

using options::OptionSpec;
using util::OptionError;
using Value = rapidjson::Value;
using util::option_wrong;

constexpr std::size_t kMaxPatterns = 256; // per option
constexpr std::size_t kMaxQuantiles = 32;
constexpr std::size_t kMaxRenames = 256;

// What the read options hold before the entries of one join another's.
struct Draft : MappingOptions {
    std::vector<Pattern> extra_metrics;
};

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
void read_quantiles(const OptionSpec& row, const Value& x, Draft& o)
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
void read_deployments(const OptionSpec&, const Value& x, Draft& o)
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

void read_metrics(const OptionSpec& row, const Value& x, Draft& o)
{
    o.metrics = patterns(std::string(row.name), x);
}

void read_extra_metrics(const OptionSpec& row, const Value& x, Draft& o)
{
    o.extra_metrics = patterns(std::string(row.name), x);
}

void read_exclude_metrics(const OptionSpec& row, const Value& x, Draft& o)
{
    o.exclude_metrics = patterns(std::string(row.name), x);
}

// A Prometheus label name: what a Fireworks series can carry.
bool label_name(std::string_view s)
{
    const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    return !s.empty() && letter(s[0]) &&
           std::all_of(s.begin(), s.end(), [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

// label -> tag name; the labels the check joins or queries on, and the
// names it writes, stay its own.
void read_rename_labels(const OptionSpec& row, const Value& x, Draft& o)
{
    const std::string name(row.name);
    if (x.IsNull())
        return;
    if (!x.IsObject())
        option_wrong(name, std::string("must be a mapping of Fireworks label to tag name, not ") + util::json_kind(x));
    if (x.MemberCount() > kMaxRenames)
        option_wrong(name, "holds more than " + std::to_string(kMaxRenames) + " labels");
    std::size_t entry = 0;
    for (auto a = x.MemberBegin(); a != x.MemberEnd(); ++a) {
        ++entry;
        const std::string_view label(a->name.GetString(), a->name.GetStringLength());
        // Not quoted: what is not a label name may be anything, the key pasted in the wrong place too.
        if (!label_name(label) || label.size() > 100)
            option_wrong(name, "has a key (entry " + std::to_string(entry) +
                                   ") that names no Fireworks label: a label is letters, digits and '_', not "
                                   "starting with a digit, at most 100 characters");
        const std::string where = name + "." + std::string(label);
        if (util::reserved_tag(label))
            option_wrong(where, "cannot be renamed: the check joins the inventory, usage and costs on it, or its "
                                "dashboard and monitors query it (exclude_labels drops a label)");
        o.rename_labels.emplace_back(label, util::option_tag_name(where, a->value));
    }
    std::sort(o.rename_labels.begin(), o.rename_labels.end());
    // JSON may repeat a key: the entries of one label must agree.
    const auto twice = std::adjacent_find(o.rename_labels.begin(), o.rename_labels.end(),
                                          [](const auto& a, const auto& b) { return a.first == b.first; });
    if (twice != o.rename_labels.end())
        option_wrong(name + "." + twice->first, "is given twice");
}

// The interval the Agent runs the instance at, as the shim has read it
// (never 0: 0 or less is the Agent's default), at most the row's bound.
void read_interval(const OptionSpec& row, const Value& x, Draft& o)
{
    if (!x.IsNumber() || !(x.GetDouble() > 0 && x.GetDouble() <= row.max))
        option_wrong(std::string(row.name), "must be a number of seconds above 0");
    o.min_collection_interval = x.GetDouble();
}

template <auto... Path>
consteval options::Field<Draft> to(std::string_view name)
{
    return options::member<Draft, Path...>(name);
}

constexpr options::Field<Draft> kFields[] = {
    options::custom<Draft>("quantiles", read_quantiles),
    to<&MappingOptions::distributions>("histogram_buckets_as_distributions"),
    to<&MappingOptions::rates_as_counts>("rates_as_counts"),
    options::custom<Draft>("metrics", read_metrics),
    options::custom<Draft>("extra_metrics", read_extra_metrics),
    options::custom<Draft>("exclude_metrics", read_exclude_metrics),
    to<&MappingOptions::exclude_labels>("exclude_labels"),
    options::custom<Draft>("rename_labels", read_rename_labels),
    options::custom<Draft>("deployments", read_deployments),
    options::custom<Draft>("min_collection_interval", read_interval),
    // Given by the shim (tags) or the client (account_id), and by the C ABI.
    to<&MappingOptions::tags>("tags"),
    to<&MappingOptions::account_id>("account_id"),
    options::member<Draft, &MappingOptions::agent_tags>(kAgentTags),
};
// A mapping option added to spec.yaml needs its field here.
static_assert(options::covers(kFields, options::Reader::mapping));

} // namespace

MappingOptions read_mapping_options(const Value* v)
{
    Draft o;
    if (v == nullptr || v->IsNull())
        return o;
    if (!v->IsObject())
        throw OptionError("the mapping options must be a mapping");
    options::read_fields(*v, kFields, o);
    // extra_metrics widens an allow list; without one, everything is kept already.
    if (!o.metrics.empty())
        std::move(o.extra_metrics.begin(), o.extra_metrics.end(), std::back_inserter(o.metrics));
    return std::move(static_cast<MappingOptions&>(o));
}

} // namespace fwm::mapping
