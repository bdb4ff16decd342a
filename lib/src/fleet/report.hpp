// The "fleet" object of a collection's summary (fwm.h): the last good
// inventory, usage, capacity and costs with how their last refreshes went. Python turns it
// into inventory metrics, the per-deployment service check, events and
// usage counts.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "fleet/refresher.hpp"
#include "util/json_sink.hpp"

namespace fwm::fleet {

// What this run's metrics say of a deployment, by deployment id.
struct Observed {
    std::optional<double> prompt_tokens_per_s; // the *.tokens.prompt.rate gauges summed
    std::optional<double> replicas;            // the undocumented deployment_replicas gauge, where sent
};

// The "fleet" member's value. `first_run_waited_s`: on an instance's first
// run, how long it waited for the first refreshes (the snapshot, taken
// after the wait, tells which did not come); none in later runs.
// `account_data`: this instance sends the account's own data (usage,
// quotas, spend, costs, the account's state); the other instances of the
// account do not, so that none of it counts twice.
void write_fleet(util::JsonWriter& w, const Snapshot& snapshot, const FleetOptions& options,
                 std::optional<double> first_run_waited_s, const std::map<std::string, Observed>& observed,
                 bool account_data);

// The same value alone, as a JSON document.
std::string fleet_json(const Snapshot& snapshot, const FleetOptions& options,
                       std::optional<double> first_run_waited_s = std::nullopt,
                       const std::map<std::string, Observed>& observed = {}, bool account_data = true);

} // namespace fwm::fleet
