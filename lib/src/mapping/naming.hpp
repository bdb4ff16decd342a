// How a Fireworks series name becomes Datadog names, and how series that
// become one (same name and tags once labels are excluded) are combined.
#pragma once

#include <string>
#include <string_view>

#include "mapping/table.hpp"

namespace fwm::mapping {

// How values of series that land on one name and tag set are combined.
enum class Merge : unsigned char {
    sum,  // rates, counts and ":sum_by_..." gauges: the parts add up
    mean, // ":avg_by_..." and every other gauge
    max,  // ":max_by_..."
    min,  // ":min_by_..."
};

// "metric:sum_by_deployment" -> "metric": the recording-rule aggregation suffix.
std::string_view without_aggregation(std::string_view name) noexcept;

Merge merge_rule(std::string_view name, Kind kind) noexcept;

// Letters, digits, '_' and '.'; the rest becomes '_'.
std::string sanitize(std::string_view s);

// Names the check itself defines (the SPEC table's, with their .count and
// quantile forms, and the check's own metrics): never given to a series the
// table does not know.
bool reserved_name(std::string_view name) noexcept;

// The Datadog base name of a series the table does not know, without the
// kind's suffix: "fireworks.<name without _total or _bucket>".
std::string derived_base(std::string_view base, Kind kind);

// The base an unknown series falls back to when its derived names are
// taken: "fireworks.series.<whole series name>" (aggregation suffix kept),
// then "_2", "_3"... while still taken.
std::string fallback_base(std::string_view full_name, unsigned attempt);

} // namespace fwm::mapping
