// The SPEC's table: every Fireworks series we know, its Datadog name, how it
// is submitted and its unit. Keyed by the series name without its
// aggregation suffix (":sum_by_deployment", ":avg_by_deployment").
#pragma once

#include <string_view>

namespace fwm::mapping {

enum class Kind {
    rate,      // a per-second rate: gauge "<name>" (and "<name minus .rate>.count" with rates_as_counts)
    histogram, // cumulative buckets: distribution + quantile gauges
    gauge,     // submitted as it is
};

struct KnownSeries {
    std::string_view fireworks; // e.g. "request_counter_total"
    std::string_view datadog;   // e.g. "fireworks.requests.rate"
    Kind kind;
    std::string_view unit;      // metadata unit, "" when the endpoint does not say
};

// nullptr for a series the table does not know.
const KnownSeries* find_known(std::string_view base) noexcept;

// All rows, in table order.
const KnownSeries* known_begin() noexcept;
const KnownSeries* known_end() noexcept;

} // namespace fwm::mapping
