// histogram_quantile over classic buckets, as Prometheus computes it
// (promql/quantile.go: BucketQuantile, coalesceBuckets,
// ensureMonotonicAndIgnoreSmallDeltas), so that a pNN gauge here equals
// what a PromQL query over the same buckets returns.
#pragma once

#include <cstddef>
#include <vector>

namespace fwm::mapping {

struct Bucket {
    double upper;      // le
    double cumulative; // observations (here: per-second rate) at or below `upper`
};

// Sorts by upper bound with the algorithm Go's slices.SortFunc uses (an
// unstable pdqsort: which of equal bounds comes first decides the order of
// the sums below and whether -0 or +0 is kept, so it is reproduced too),
// then merges equal bounds by summing their counts, as coalesceBuckets does.
void coalesce(std::vector<Bucket>& buckets);

// `buckets` as coalesce() leaves them. out[i] = histogram_quantile(qs[i]) as
// BucketQuantile returns it: NaN for q NaN, -Inf for q < 0, +Inf for q > 1;
// otherwise NaN without a +Inf bucket, with fewer than 2 buckets or with 0
// observations; a rank in the +Inf bucket gives the next bound down; a rank
// in a first bucket whose bound is <= 0 gives that bound; else linear
// interpolation (the first bucket starting at 0). Counts are first made
// monotonic, ignoring relative differences up to 1e-12, once for all qs.
void histogram_quantiles(const double* qs, std::size_t n, const std::vector<Bucket>& buckets, double* out);

// One quantile over buckets in any order (they are copied and coalesced).
double histogram_quantile(double q, const std::vector<Bucket>& buckets);

} // namespace fwm::mapping
