// The "fleet" object of a collection's summary (fwm.h): the last good
// inventory and usage with how their last refreshes went. Python turns it
// into inventory metrics, the per-deployment service check, events and
// usage counts.
#pragma once

#include <string>

#include "fleet/refresher.hpp"

namespace fwm::fleet {

std::string fleet_json(const Snapshot& snapshot, const FleetOptions& options);

} // namespace fwm::fleet
