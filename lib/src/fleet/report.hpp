// The "fleet" object of a collection's summary (fwm.h): the last good
// inventory, usage, capacity and costs with how their last refreshes went. Python turns it
// into inventory metrics, the per-deployment service check, events and
// usage counts.
#pragma once

#include <map>
#include <string>

#include "fleet/refresher.hpp"

namespace fwm::fleet {

// `first_run` is a JSON value written as it is: null, or on an instance's
// first run how long it waited for the first refreshes and which did not come.
// `prompt_token_rates`: this run's prompt tokens per second by deployment id.
std::string fleet_json(const Snapshot& snapshot, const FleetOptions& options, const std::string& first_run = "null",
                       const std::map<std::string, double>& prompt_token_rates = {});

} // namespace fwm::fleet
