// The submissions buffer of one run (fwm_result_submissions): the mapped
// groups plus what the check reports about itself: check-level metrics,
// the fireworks.can_connect service check, and log lines.
#pragma once

#include <string>

#include "http/client.hpp"
#include "mapping/mapper.hpp"
#include "parser/parser.hpp"

namespace fwm::collector {

// `parsed` and `stats` may be null when nothing was received; `info` is null
// for fwm_parse (no collection, so no service check).
std::string submissions_json(const std::string& groups_json, const parser::ParseResult* parsed,
                             const mapping::MapStats* stats, const http::CollectInfo* info,
                             const mapping::MappingOptions& options);

// The submissions buffer of a run that failed inside the library (out of
// memory, a bug): no metrics, a CRITICAL service check with the message.
std::string failure_submissions_json(const std::string& message, const mapping::MappingOptions& options);

// The "collection" object of a collect result's summary (see fwm.h).
std::string collection_json(const http::CollectInfo& info);

} // namespace fwm::collector
