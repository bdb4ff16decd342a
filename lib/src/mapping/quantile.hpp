// histogram_quantile as Prometheus computes it (promql/quantile.go).
#pragma once

#include <cstddef>
#include <vector>

namespace fwm::mapping {

struct Bucket {
    double upper;      // le
    double cumulative; // observations (here: per-second rate) at or below `upper`
};

// `buckets` sorted by upper bound. Returns NaN when there is no +Inf bucket
// or no observation; q outside [0, 1] gives -Inf / +Inf. Linear
// interpolation inside the bucket; a rank in the +Inf bucket gives the
// highest finite bound. Cumulative counts are made monotonic first.
double histogram_quantile(double q, const std::vector<Bucket>& buckets);

} // namespace fwm::mapping
