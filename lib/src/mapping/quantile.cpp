#include "mapping/quantile.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <utility>

namespace fwm::mapping {

namespace {

using Index = std::ptrdiff_t; // Go's int: the sort below is written with signed indices, as in Go

// BucketQuantile's comparator reduced to cmp(a, b) < 0. A NaN bound is
// neither less nor greater than anything, which the sort tolerates.
bool less(const Bucket& a, const Bucket& b)
{
    return a.upper < b.upper;
}

// Go's slices.SortFunc (src/slices/zsortanyfunc.go, pdqsortCmpFunc and its
// helpers), step for step: the order it leaves equal bounds in is part of
// Prometheus' result. Never reads outside [a, b), even when NaN bounds make
// the comparator inconsistent (std::sort would be undefined there).
void insertion_sort(Bucket* d, Index a, Index b)
{
    for (Index i = a + 1; i < b; ++i)
        for (Index j = i; j > a && less(d[j], d[j - 1]); --j)
            std::swap(d[j], d[j - 1]);
}

void sift_down(Bucket* d, Index lo, Index hi, Index first)
{
    Index root = lo;
    for (;;) {
        Index child = 2 * root + 1;
        if (child >= hi)
            return;
        if (child + 1 < hi && less(d[first + child], d[first + child + 1]))
            ++child;
        if (!less(d[first + root], d[first + child]))
            return;
        std::swap(d[first + root], d[first + child]);
        root = child;
    }
}

void heap_sort(Bucket* d, Index a, Index b)
{
    const Index first = a, lo = 0, hi = b - a;
    for (Index i = (hi - 1) / 2; i >= 0; --i)
        sift_down(d, i, hi, first);
    for (Index i = hi - 1; i >= 0; --i) {
        std::swap(d[first], d[first + i]);
        sift_down(d, lo, i, first);
    }
}

std::pair<Index, bool> partition(Bucket* d, Index a, Index b, Index pivot)
{
    std::swap(d[a], d[pivot]);
    Index i = a + 1, j = b - 1;
    while (i <= j && less(d[i], d[a]))
        ++i;
    while (i <= j && !less(d[j], d[a]))
        --j;
    if (i > j) {
        std::swap(d[j], d[a]);
        return {j, true};
    }
    std::swap(d[i], d[j]);
    ++i;
    --j;
    for (;;) {
        while (i <= j && less(d[i], d[a]))
            ++i;
        while (i <= j && !less(d[j], d[a]))
            --j;
        if (i > j)
            break;
        std::swap(d[i], d[j]);
        ++i;
        --j;
    }
    std::swap(d[j], d[a]);
    return {j, false};
}

Index partition_equal(Bucket* d, Index a, Index b, Index pivot)
{
    std::swap(d[a], d[pivot]);
    Index i = a + 1, j = b - 1;
    for (;;) {
        while (i <= j && !less(d[a], d[i]))
            ++i;
        while (i <= j && less(d[a], d[j]))
            --j;
        if (i > j)
            break;
        std::swap(d[i], d[j]);
        ++i;
        --j;
    }
    return i;
}

bool partial_insertion_sort(Bucket* d, Index a, Index b)
{
    constexpr int max_steps = 5;
    constexpr Index shortest_shifting = 50;
    Index i = a + 1;
    for (int step = 0; step < max_steps; ++step) {
        while (i < b && !less(d[i], d[i - 1]))
            ++i;
        if (i == b)
            return true;
        if (b - a < shortest_shifting)
            return false;
        std::swap(d[i], d[i - 1]);
        if (i - a >= 2) {
            for (Index j = i - 1; j >= 1; --j) { // Go's bound is 1, not a + 1
                if (!less(d[j], d[j - 1]))
                    break;
                std::swap(d[j], d[j - 1]);
            }
        }
        if (b - i >= 2) {
            for (Index j = i + 1; j < b; ++j) {
                if (!less(d[j], d[j - 1]))
                    break;
                std::swap(d[j], d[j - 1]);
            }
        }
    }
    return false;
}

void break_patterns(Bucket* d, Index a, Index b)
{
    const Index length = b - a;
    if (length < 8)
        return;
    auto random = static_cast<std::uint64_t>(length); // Go's xorshift, seeded with the length
    const std::uint64_t modulus = std::uint64_t{1} << std::bit_width(static_cast<std::uint64_t>(length));
    for (Index idx = a + (length / 4) * 2 - 1; idx <= a + (length / 4) * 2 + 1; ++idx) {
        random ^= random << 13;
        random ^= random >> 17;
        random ^= random << 5;
        auto other = static_cast<Index>(random & (modulus - 1));
        if (other >= length)
            other -= length;
        std::swap(d[idx], d[a + other]);
    }
}

enum class Hint { unknown, increasing, decreasing };

std::pair<Index, Index> order2(const Bucket* d, Index a, Index b, int& swaps)
{
    if (less(d[b], d[a])) {
        ++swaps;
        return {b, a};
    }
    return {a, b};
}

Index median(const Bucket* d, Index a, Index b, Index c, int& swaps)
{
    std::tie(a, b) = order2(d, a, b, swaps);
    std::tie(b, c) = order2(d, b, c, swaps);
    std::tie(a, b) = order2(d, a, b, swaps);
    return b;
}

std::pair<Index, Hint> choose_pivot(const Bucket* d, Index a, Index b)
{
    constexpr Index shortest_ninther = 50;
    constexpr int max_swaps = 4 * 3;
    const Index l = b - a;
    int swaps = 0;
    Index i = a + l / 4 * 1, j = a + l / 4 * 2, k = a + l / 4 * 3;
    if (l >= 8) {
        if (l >= shortest_ninther) {
            i = median(d, i - 1, i, i + 1, swaps);
            j = median(d, j - 1, j, j + 1, swaps);
            k = median(d, k - 1, k, k + 1, swaps);
        }
        j = median(d, i, j, k, swaps);
    }
    if (swaps == 0)
        return {j, Hint::increasing};
    if (swaps == max_swaps)
        return {j, Hint::decreasing};
    return {j, Hint::unknown};
}

void reverse_range(Bucket* d, Index a, Index b)
{
    for (Index i = a, j = b - 1; i < j; ++i, --j)
        std::swap(d[i], d[j]);
}

void pdqsort(Bucket* d, Index a, Index b, int limit)
{
    constexpr Index max_insertion = 12;
    bool was_balanced = true, was_partitioned = true;
    for (;;) {
        const Index length = b - a;
        if (length <= max_insertion) {
            insertion_sort(d, a, b);
            return;
        }
        if (limit == 0) {
            heap_sort(d, a, b);
            return;
        }
        if (!was_balanced) {
            break_patterns(d, a, b);
            --limit;
        }
        auto [pivot, hint] = choose_pivot(d, a, b);
        if (hint == Hint::decreasing) {
            reverse_range(d, a, b);
            pivot = (b - 1) - (pivot - a);
            hint = Hint::increasing;
        }
        if (was_balanced && was_partitioned && hint == Hint::increasing && partial_insertion_sort(d, a, b))
            return;
        if (a > 0 && !less(d[a - 1], d[pivot])) {
            a = partition_equal(d, a, b, pivot);
            continue;
        }
        const auto [mid, already_partitioned] = partition(d, a, b, pivot);
        was_partitioned = already_partitioned;
        const Index left = mid - a, right = b - mid, balance_threshold = length / 8;
        if (left < right) {
            was_balanced = left >= balance_threshold;
            pdqsort(d, a, mid, limit);
            a = mid + 1;
        } else {
            was_balanced = right >= balance_threshold;
            pdqsort(d, mid + 1, b, limit);
            b = mid;
        }
    }
}

// almost.Equal (util/almost) without its StaleNaN rule: that rule only
// decides which NaN a NaN count is replaced by, and every NaN compares alike.
bool almost_equal(double a, double b, double epsilon)
{
    constexpr double min_normal = std::numeric_limits<double>::min();
    if (std::isnan(a) && std::isnan(b))
        return true;
    if (a == b)
        return true;
    const double abs_sum = std::fabs(a) + std::fabs(b);
    const double diff = std::fabs(a - b);
    if (a == 0 || b == 0 || abs_sum < min_normal)
        return diff < epsilon * min_normal;
    // Go's math.Min: NaN stays NaN, +Inf becomes MaxFloat64.
    const double scale = abs_sum > std::numeric_limits<double>::max() ? std::numeric_limits<double>::max() : abs_sum;
    return diff / scale < epsilon;
}

// promql/quantile.go's smallDeltaTolerance: relative differences this small
// between buckets are floating-point noise (e.g. from sums of rates).
constexpr double kSmallDeltaTolerance = 1e-12;

// ensureMonotonicAndIgnoreSmallDeltas on the counts alone (the bounds it
// reads only feed Prometheus' annotation). A NaN count is left as it is and
// restarts the envelope, as in Go.
void ensure_monotonic_and_ignore_small_deltas(double* c, std::size_t n)
{
    double prev = c[0];
    for (std::size_t i = 1; i < n; ++i) {
        const double curr = c[i];
        if (curr == prev)
            continue;
        if (almost_equal(prev, curr, kSmallDeltaTolerance) || curr < prev) {
            c[i] = prev; // noise in either direction, or a decrease: ignored
            continue;
        }
        prev = curr;
    }
}

double q_outside_range(double q)
{
    if (std::isnan(q))
        return std::numeric_limits<double>::quiet_NaN();
    return q < 0 ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

bool q_in_range(double q)
{
    return q >= 0 && q <= 1;
}

} // namespace

void coalesce(std::vector<Bucket>& buckets)
{
    if (buckets.empty())
        return;
    const Index n = static_cast<Index>(buckets.size());
    pdqsort(buckets.data(), 0, n, static_cast<int>(std::bit_width(static_cast<std::uint64_t>(n))));
    // coalesceBuckets: runs of equal bounds keep the first bound and add the
    // counts in order (a NaN bound equals nothing, so it stays on its own).
    Bucket last = buckets[0];
    std::size_t i = 0;
    for (std::size_t k = 1; k < buckets.size(); ++k) {
        if (buckets[k].upper == last.upper) {
            last.cumulative += buckets[k].cumulative;
        } else {
            buckets[i] = last;
            last = buckets[k];
            ++i;
        }
    }
    buckets[i] = last;
    buckets.resize(i + 1);
}

namespace {

// Go's BucketQuantile for one q in [0, 1], over the buckets' fixed-up
// cumulative counts `c` (the last bucket is +Inf, and there are at least 2).
double quantile_of_counts(double q, const std::vector<Bucket>& buckets, const double* c)
{
    const std::size_t m = buckets.size();
    const double observations = c[m - 1];
    if (observations == 0)
        return std::numeric_limits<double>::quiet_NaN();
    double rank = q * observations;
    // sort.Search over all but the +Inf bucket. With NaN counts the counts
    // are not monotonic and the answer depends on the probes, so they are Go's.
    std::size_t lo = 0, hi = m - 1;
    while (lo < hi) {
        const std::size_t h = (lo + hi) >> 1;
        if (!(c[h] >= rank))
            lo = h + 1;
        else
            hi = h;
    }
    const std::size_t b = lo;
    if (b == m - 1)
        return buckets[m - 2].upper;
    if (b == 0 && buckets[0].upper <= 0)
        return buckets[0].upper;
    double start = 0;
    const double end = buckets[b].upper;
    double count = c[b];
    if (b > 0) {
        start = buckets[b - 1].upper;
        count -= c[b - 1];
        rank -= c[b - 1];
    }
    return start + (end - start) * (rank / count);
}

} // namespace

void histogram_quantiles(const double* qs, std::size_t n, const std::vector<Bucket>& buckets, double* out)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // BucketQuantile answers a q outside [0, 1] before it looks at the buckets.
    bool any_in_range = false;
    for (std::size_t i = 0; i < n; ++i) {
        if (q_in_range(qs[i]))
            any_in_range = true;
        else
            out[i] = q_outside_range(qs[i]);
    }
    if (!any_in_range)
        return;

    const std::size_t m = buckets.size();
    // No +Inf bucket, fewer than 2 buckets: NaN (coalescing never changes
    // the last bound, so checking after it is the same as Go's check before).
    if (m < 2 || !(buckets[m - 1].upper == std::numeric_limits<double>::infinity())) {
        for (std::size_t i = 0; i < n; ++i)
            if (q_in_range(qs[i]))
                out[i] = nan;
        return;
    }

    // The fix-up works on a copy of the counts (Go's works in place on a
    // slice it owns); it does not depend on q, so it is done once.
    constexpr std::size_t kOnStack = 64;
    double on_stack[kOnStack];
    std::vector<double> on_heap;
    double* c = on_stack;
    if (m > kOnStack) {
        on_heap.resize(m);
        c = on_heap.data();
    }
    for (std::size_t i = 0; i < m; ++i)
        c[i] = buckets[i].cumulative;
    ensure_monotonic_and_ignore_small_deltas(c, m);

    for (std::size_t qi = 0; qi < n; ++qi)
        if (q_in_range(qs[qi]))
            out[qi] = quantile_of_counts(qs[qi], buckets, c);
}

double histogram_quantile(double q, const std::vector<Bucket>& buckets)
{
    if (!q_in_range(q))
        return q_outside_range(q);
    std::vector<Bucket> b = buckets;
    coalesce(b);
    double out;
    histogram_quantiles(&q, 1, b, &out);
    return out;
}

} // namespace fwm::mapping
