// The facts a run reports beside its submissions, as JSON members of the
// result's summary (fwm.h): how the collection went and what the mapping
// did. What they mean for the check (service check, check metrics, log
// levels) is decided in Python.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "http/client.hpp"
#include "mapping/mapper.hpp"
#include "util/json_sink.hpp"

namespace fwm::collector {

// What a run's mapping reports, kept until the summary is written (the
// mapper that made the stats may be gone by then: the costly pattern is
// copied, its pointer cleared).
struct MappingFacts {
    MappingFacts(const mapping::MapStats& stats, std::size_t submissions_bytes);

    mapping::MapStats stats;
    std::size_t submissions_bytes;
    std::optional<std::string> costly_option, costly_pattern;
};

// The "collection" member's value in a collect result's summary.
void write_collection(util::JsonWriter& w, const http::CollectInfo& info);

// The "mapping" member's value: null when nothing was mapped.
void write_mapping(util::JsonWriter& w, const std::optional<MappingFacts>& facts);

} // namespace fwm::collector
