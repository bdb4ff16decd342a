// The facts a run reports beside its submissions, as JSON members of the
// result's summary (fwm.h): how the collection went and what the mapping
// did. What they mean for the check (service check, check metrics, log
// levels) is decided in Python.
#pragma once

#include <string>

#include "http/client.hpp"
#include "mapping/mapper.hpp"

namespace fwm::collector {

// The "collection" object of a collect result's summary.
std::string collection_json(const http::CollectInfo& info);

// The "mapping" object of a summary.
std::string mapping_json(const mapping::MapStats& stats, std::size_t submissions_bytes);

} // namespace fwm::collector
