#include "fleet/options.hpp"

#include <algorithm>

#include "options/fields.hpp"
#include "util/option_reader.hpp"
#include "util/text.hpp"

namespace fwm::fleet {

namespace {

using options::OptionSpec;
using util::option_wrong;
using Value = rapidjson::Value;

// The options and the REST API's origin as given, before it is checked.
struct Draft : FleetOptions {
    std::string endpoint;
};

// accelerator type -> US dollars per accelerator-hour, within the row's bounds.
void read_prices(const OptionSpec& row, const Value& v, Draft& o)
{
    const std::string name(row.name);
    if (!v.IsObject())
        option_wrong(name, std::string("must be a mapping of accelerator type to US dollars per accelerator-hour, not ") +
                               util::json_kind(v));
    std::vector<std::pair<std::string, double>> out;
    for (auto a = v.MemberBegin(); a != v.MemberEnd(); ++a) {
        const std::string key(a->name.GetString(), a->name.GetStringLength());
        const std::string where = name + "." + util::clean_text(key, 64);
        const bool type = !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        });
        if (!type)
            option_wrong(where, "must name an accelerator type as Fireworks writes it (NVIDIA_H100_80GB)");
        if (!a->value.IsNumber() || !(a->value.GetDouble() > row.min && a->value.GetDouble() <= row.max))
            option_wrong(where, "must be a price in US dollars per accelerator-hour, above " +
                                    options::number_text(row.min) + " and at most " + options::number_text(row.max));
        out.emplace_back(key, a->value.GetDouble());
    }
    std::sort(out.begin(), out.end());
    o.accelerator_prices = std::move(out);
}

// annotation key -> tag name: a tag name of Datadog's, none the check gives a meaning.
void read_annotation_tags(const OptionSpec& row, const Value& v, Draft& o)
{
    const std::string name(row.name);
    if (!v.IsObject())
        option_wrong(name, std::string("must be a mapping of annotation to tag name, not ") + util::json_kind(v));
    for (auto a = v.MemberBegin(); a != v.MemberEnd(); ++a) {
        const std::string key(a->name.GetString(), a->name.GetStringLength());
        const std::string where = name + "." + key.substr(0, 64);
        o.annotation_tags.emplace_back(key, util::option_tag_name(where, a->value));
    }
    std::sort(o.annotation_tags.begin(), o.annotation_tags.end());
}

void read_cost_scope(const OptionSpec& row, const Value& v, Draft& o)
{
    o.cost_scope = options::get_string(row, v);
    if (o.cost_scope != "ACCOUNT" && o.cost_scope != "SELF")
        option_wrong(std::string(row.name), "must be ACCOUNT or SELF");
}

template <auto... Path>
consteval options::Field<Draft> to(std::string_view name)
{
    return options::member<Draft, Path...>(name);
}

constexpr options::Field<Draft> kFields[] = {
    to<&FleetOptions::inventory>("collect_inventory"),
    to<&FleetOptions::usage>("collect_usage"),
    to<&FleetOptions::capacity>("collect_capacity"),
    to<&FleetOptions::costs>("collect_costs"),
    to<&FleetOptions::inventory_tags>("inventory_tags"),
    to<&FleetOptions::inventory_interval>("inventory_interval"),
    to<&FleetOptions::usage_interval>("usage_interval"),
    to<&FleetOptions::capacity_interval>("capacity_interval"),
    to<&FleetOptions::cost_interval>("cost_interval"),
    to<&FleetOptions::max_requests_per_minute>("api_max_requests_per_minute"),
    to<&FleetOptions::max_deployments>("max_deployments"),
    to<&FleetOptions::max_response_bytes>("api_max_response_bytes"),
    to<&Draft::endpoint>("api_endpoint"),
    options::custom<Draft>("cost_scope", read_cost_scope),
    options::custom<Draft>("accelerator_prices", read_prices),
    options::custom<Draft>("annotation_tags", read_annotation_tags),
};
// A fleet option added to spec.yaml needs its field here.
static_assert(options::covers(kFields, options::Reader::fleet));

} // namespace

FleetOptions read_fleet_options(const rapidjson::Value* fleet, const http::Url& metrics_endpoint)
{
    Draft o;
    o.endpoint = metrics_endpoint.scheme + "://" + metrics_endpoint.authority();
    if (fleet && !fleet->IsNull()) {
        if (!fleet->IsObject())
            throw util::OptionError("the client configuration's 'fleet' must be a JSON object");
        options::read_fields(*fleet, kFields, o);
    }
    std::string error;
    auto url = http::parse_url(o.endpoint, error);
    if (!url)
        option_wrong("api_endpoint", error);
    if (url->has_credentials())
        option_wrong("api_endpoint", "must not carry user:password; use api_key");
    if (url->target != "/")
        option_wrong("api_endpoint", "must be an origin (scheme://host[:port]) without a path");
    o.api_endpoint = *url;
    return o;
}

} // namespace fwm::fleet
