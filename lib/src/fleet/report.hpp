// The "fleet" object of a collection's summary (fwm.h): the last good
// inventory, usage, capacity and costs with how their last refreshes went. Python turns it
// into inventory metrics, the per-deployment service check, events and
// usage counts.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "fleet/refresher.hpp"

namespace fwm::fleet {

// What this run's metrics say of a deployment, by deployment id.
struct Observed {
    std::optional<double> prompt_tokens_per_s; // the *.tokens.prompt.rate gauges summed
    std::optional<double> replicas;            // the undocumented deployment_replicas gauge, where sent
};

// `first_run` is a JSON value written as it is: null, or on an instance's
// first run how long it waited for the first refreshes and which did not come.
// `account_data`: this instance sends the account's own data (usage,
// quotas, spend, costs, the account's state); the other instances of the
// account do not, so that none of it counts twice.
std::string fleet_json(const Snapshot& snapshot, const FleetOptions& options, const std::string& first_run = "null",
                       const std::map<std::string, Observed>& observed = {}, bool account_data = true);

} // namespace fwm::fleet
