#include "fleet/options.hpp"

#include <algorithm>
#include <cmath>

#include "util/option_reader.hpp"
#include "util/text.hpp"

namespace fwm::fleet {

namespace {

using util::option_wrong;

double number(const std::string& name, const rapidjson::Value& v, double min, double max)
{
    if (!v.IsNumber())
        option_wrong(name, std::string("must be a number, not ") + util::json_kind(v));
    const double d = v.GetDouble();
    if (!(d >= min && d <= max) || d != std::floor(d))
        option_wrong(name, "must be a whole number from " + std::to_string(static_cast<long long>(min)) + " to " +
                               std::to_string(static_cast<long long>(max)));
    return d;
}

bool tag_name(const std::string& s)
{
    if (s.empty() || s.size() > 100 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' || c == '/';
    });
}

// accelerator type -> US dollars per accelerator-hour.
std::vector<std::pair<std::string, double>> prices(const std::string& name, const rapidjson::Value& v)
{
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
        if (!a->value.IsNumber() || !(a->value.GetDouble() > 0 && a->value.GetDouble() <= 1e6))
            option_wrong(where, "must be a price in US dollars per accelerator-hour, above 0 and at most 1000000");
        out.emplace_back(key, a->value.GetDouble());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

bool reserved_tag(const std::string& name)
{
    static const char* const kReserved[] = {"env", "service", "version", "host", "device", "source",
                                            "deployment_id", "deployment", "deployment_account", "base_model",
                                            "model", "http_code", "fireworks_account",
                                            // the inventory's own tags
                                            "accelerator_type", "region", "deployment_name", "state", "price_source"};
    return std::any_of(std::begin(kReserved), std::end(kReserved), [&](const char* r) { return name == r; });
}

FleetOptions read_fleet_options(const rapidjson::Value* fleet, const http::Url& metrics_endpoint)
{
    FleetOptions o;
    std::string endpoint = metrics_endpoint.scheme + "://" + metrics_endpoint.authority();
    if (fleet && !fleet->IsNull()) {
        if (!fleet->IsObject())
            throw util::OptionError("the client configuration's 'fleet' must be a JSON object");
        for (auto m = fleet->MemberBegin(); m != fleet->MemberEnd(); ++m) {
            const std::string name(m->name.GetString(), m->name.GetStringLength());
            const rapidjson::Value& v = m->value;
            if (name == "collect_inventory") {
                o.inventory = util::option_bool(name, v);
            } else if (name == "collect_usage") {
                o.usage = util::option_bool(name, v);
            } else if (name == "collect_capacity") {
                o.capacity = util::option_bool(name, v);
            } else if (name == "collect_costs") {
                o.costs = util::option_bool(name, v);
            } else if (name == "capacity_interval") {
                o.capacity_interval = std::chrono::seconds(static_cast<long long>(number(name, v, 10, 86400)));
            } else if (name == "cost_interval") {
                o.cost_interval = std::chrono::seconds(static_cast<long long>(number(name, v, 10, 86400)));
            } else if (name == "cost_scope") {
                o.cost_scope = util::option_string(name, v);
                if (o.cost_scope != "ACCOUNT" && o.cost_scope != "SELF")
                    option_wrong(name, "must be ACCOUNT or SELF");
            } else if (name == "accelerator_prices") {
                o.accelerator_prices = prices(name, v);
            } else if (name == "inventory_tags") {
                o.inventory_tags = util::option_bool(name, v);
            } else if (name == "inventory_interval") {
                o.inventory_interval = std::chrono::seconds(static_cast<long long>(number(name, v, 10, 86400)));
            } else if (name == "usage_interval") {
                o.usage_interval = std::chrono::seconds(static_cast<long long>(number(name, v, 10, 86400)));
            } else if (name == "api_endpoint") {
                endpoint = util::option_string(name, v);
            } else if (name == "api_max_requests_per_minute") {
                o.max_requests_per_minute = static_cast<unsigned>(number(name, v, 1, 600));
            } else if (name == "max_deployments") {
                o.max_deployments = static_cast<std::size_t>(number(name, v, 1, 100000));
            } else if (name == "api_max_response_bytes") {
                o.max_response_bytes = static_cast<std::size_t>(number(name, v, 1024, 1024.0 * 1024 * 1024));
            } else if (name == "annotation_tags") {
                if (!v.IsObject())
                    option_wrong(name, std::string("must be a mapping of annotation to tag name, not ") +
                                           util::json_kind(v));
                for (auto a = v.MemberBegin(); a != v.MemberEnd(); ++a) {
                    const std::string key(a->name.GetString(), a->name.GetStringLength());
                    const std::string tag = util::option_string(name + "." + key.substr(0, 64), a->value);
                    if (!tag_name(tag))
                        option_wrong(name + "." + key.substr(0, 64),
                                     "must be a tag name: lower case letters, digits, '_', '.', '-' or '/', "
                                     "starting with a letter");
                    if (reserved_tag(tag))
                        option_wrong(name + "." + key.substr(0, 64),
                                     "names '" + tag + "', a tag the check or Datadog already gives its own meaning");
                    o.annotation_tags.emplace_back(key, tag);
                }
                std::sort(o.annotation_tags.begin(), o.annotation_tags.end());
            } else {
                throw util::OptionError("unknown option '" + name.substr(0, 64) + "'");
            }
        }
    }
    std::string error;
    auto url = http::parse_url(endpoint, error);
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
