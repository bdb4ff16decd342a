// What the check asks of Fireworks' REST API, read from the "fleet" member
// of the client configuration (fwm.h). Every call it makes is opt-in.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "http/url.hpp"
#include "options/table.hpp"

namespace fwm::fleet {

// The defaults are spec.yaml's.
struct FleetOptions {
    bool inventory = options::default_flag("collect_inventory"); // list the deployments
    bool usage = options::default_flag("collect_usage");         // today's billing usage
    bool capacity = options::default_flag("collect_capacity");   // the account's state and its quotas
    bool costs = options::default_flag("collect_costs"); // rated dollars (usageCosts) and the billing summary
    bool inventory_tags = options::default_flag("inventory_tags"); // the inventory's tags on a deployment's metrics
    std::chrono::seconds inventory_interval = options::default_seconds("inventory_interval");
    std::chrono::seconds usage_interval = options::default_seconds("usage_interval");
    std::chrono::seconds capacity_interval = options::default_seconds("capacity_interval");
    std::chrono::seconds cost_interval = options::default_seconds("cost_interval");
    // usageCosts' scope: ACCOUNT (falls back to SELF on 403) or SELF
    std::string cost_scope = std::string(options::default_text("cost_scope"));
    // accelerator_prices: accelerator type -> US dollars per accelerator-hour.
    std::vector<std::pair<std::string, double>> accelerator_prices;
    http::Url api_endpoint;      // api_endpoint: the REST API's origin (openmetrics_endpoint's, else https://api.fireworks.ai)
    // api_max_requests_per_minute: this instance's budget
    unsigned max_requests_per_minute = static_cast<unsigned>(options::default_number("api_max_requests_per_minute"));
    std::size_t max_deployments = static_cast<std::size_t>(options::default_number("max_deployments"));
    // api_max_response_bytes: one REST answer's bound (inflated). A page of
    // 200 deployments or a day's usage is tens to hundreds of kilobytes.
    std::size_t max_response_bytes = static_cast<std::size_t>(options::default_number("api_max_response_bytes"));
    // annotation_tags: annotation key -> tag name; other annotations become
    // fireworks_annotation_<key>.
    std::vector<std::pair<std::string, std::string>> annotation_tags;
    // The instance's tags (`tags`, and `service` as a tag): an inventory tag
    // of the same name is left out of the fleet data, as on the metrics. Not
    // an option of the fleet: the collector copies them from the mapping's.
    std::vector<std::string> instance_tags;

    // The wall clock, seconds since the epoch (the UTC day of the usage);
    // null: the system's. Tests set it to cross midnight.
    std::function<double()> wall_clock;
    // How far apart the REST requests go while the account is held to 10
    // requests a minute (not an option: tests shorten it).
    std::chrono::milliseconds slowed_spacing{20000};

    bool any() const { return inventory || usage || capacity || costs; }
};

// Throws util::OptionError naming the option. api_endpoint defaults to the
// origin (scheme, host, port) of `metrics_endpoint`: a proxy, regional or
// test endpoint serves both, and with neither set that is Fireworks' own.
FleetOptions read_fleet_options(const rapidjson::Value* fleet, const http::Url& metrics_endpoint);

} // namespace fwm::fleet
