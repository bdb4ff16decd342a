// The submissions buffer of one run (fwm_result_submissions): the mapped
// groups plus what the check reports about itself: check-level metrics,
// the fireworks.can_connect service check, and log lines.
#pragma once

#include <string>

#include "http/client.hpp"
#include "mapping/mapper.hpp"
#include "parser/parser.hpp"

namespace fwm::mapping {

// `parsed` and `stats` may be null when nothing was received; `info` is null
// for fwm_parse (no collection, so no service check).
std::string submissions_json(const std::string& groups_json, const parser::ParseResult* parsed, const MapStats* stats,
                             const http::CollectInfo* info, const MappingOptions& options);

} // namespace fwm::mapping
