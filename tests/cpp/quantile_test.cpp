// histogram_quantile against Prometheus: the classic-histogram cases of
// promql/promqltest/testdata/histograms.test and of promql/quantile_test.go
// with their expected values, then a differential against a line-by-line
// port of promql/quantile.go (and of the Go sort it calls) on random bucket
// sets, bit for bit.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "mapping/quantile.hpp"

namespace {

// ---------------------------------------------------------------------------
// The reference: Go code ported line by line, Go names kept. Only what the
// classic path of histogram_quantile runs: slices.SortFunc (Go's
// src/slices/zsortanyfunc.go and sort.go), sort.Search, math, util/almost,
// model/value's StaleNaN, and promql/quantile.go's BucketQuantile,
// coalesceBuckets and ensureMonotonicAndIgnoreSmallDeltas.
namespace go {

using uint64 = std::uint64_t;

// --- math
const double MaxFloat64 = std::numeric_limits<double>::max();
uint64 Float64bits(double f) { return std::bit_cast<uint64>(f); }
double Float64frombits(uint64 b) { return std::bit_cast<double>(b); }
double NaN() { return Float64frombits(0x7FF8000000000001); }
bool IsNaN(double f) { return f != f; }
double Inf(int sign) { return sign >= 0 ? Float64frombits(0x7FF0000000000000) : Float64frombits(0xFFF0000000000000); }
bool IsInf(double f, int sign) { return (sign >= 0 && f > MaxFloat64) || (sign <= 0 && f < -MaxFloat64); }
bool Signbit(double x) { return (Float64bits(x) & (uint64{1} << 63)) != 0; }
double Abs(double x) { return Float64frombits(Float64bits(x) & ~(uint64{1} << 63)); }
double Min(double x, double y)
{
    if (IsInf(x, -1) || IsInf(y, -1))
        return Inf(-1);
    if (IsNaN(x) || IsNaN(y))
        return NaN();
    if (x == 0 && x == y) {
        if (Signbit(x))
            return x;
        return y;
    }
    if (x < y)
        return x;
    return y;
}

// --- math/bits
int Len(uint64 x) { return static_cast<int>(std::bit_width(x)); }

// --- model/value
const uint64 StaleNaN = 0x7ff0000000000002;
bool IsStaleNaN(double v) { return Float64bits(v) == StaleNaN; }

// --- util/almost
const double minNormal = Float64frombits(0x0010000000000000);
bool Equal(double a, double b, double epsilon)
{
    if (IsStaleNaN(a) || IsStaleNaN(b))
        return IsStaleNaN(a) && IsStaleNaN(b);
    if (IsNaN(a) && IsNaN(b))
        return true;
    if (a == b)
        return true;
    double absSum = Abs(a) + Abs(b);
    double diff = Abs(a - b);
    if (a == 0 || b == 0 || absSum < minNormal)
        return diff < epsilon * minNormal;
    return diff / Min(absSum, MaxFloat64) < epsilon;
}

// --- sort.Search
template <class F>
int Search(int n, F f)
{
    int i = 0, j = n;
    while (i < j) {
        int h = static_cast<int>(static_cast<unsigned>(i + j) >> 1);
        if (!f(h))
            i = h + 1;
        else
            j = h;
    }
    return i;
}

// --- slices.SortFunc: pdqsortCmpFunc and helpers
enum sortedHint { unknownHint, increasingHint, decreasingHint };

struct xorshift {
    uint64 r;
    uint64 Next()
    {
        r ^= r << 13;
        r ^= r >> 17;
        r ^= r << 5;
        return r;
    }
};

uint64 nextPowerOfTwo(int length) { return uint64{1} << Len(static_cast<uint64>(length)); }

template <class E, class C>
void insertionSortCmpFunc(std::span<E> data, int a, int b, C cmp)
{
    for (int i = a + 1; i < b; i++)
        for (int j = i; j > a && (cmp(data[j], data[j - 1]) < 0); j--)
            std::swap(data[j], data[j - 1]);
}

template <class E, class C>
void siftDownCmpFunc(std::span<E> data, int lo, int hi, int first, C cmp)
{
    int root = lo;
    for (;;) {
        int child = 2 * root + 1;
        if (child >= hi)
            break;
        if (child + 1 < hi && (cmp(data[first + child], data[first + child + 1]) < 0))
            child++;
        if (!(cmp(data[first + root], data[first + child]) < 0))
            return;
        std::swap(data[first + root], data[first + child]);
        root = child;
    }
}

int heapSortCalls = 0; // test instrumentation, not in Go: shows the fallback was reached

template <class E, class C>
void heapSortCmpFunc(std::span<E> data, int a, int b, C cmp)
{
    heapSortCalls++;
    int first = a;
    int lo = 0;
    int hi = b - a;
    for (int i = (hi - 1) / 2; i >= 0; i--)
        siftDownCmpFunc(data, i, hi, first, cmp);
    for (int i = hi - 1; i >= 0; i--) {
        std::swap(data[first], data[first + i]);
        siftDownCmpFunc(data, lo, i, first, cmp);
    }
}

template <class E, class C>
std::tuple<int, bool> partitionCmpFunc(std::span<E> data, int a, int b, int pivot, C cmp)
{
    std::swap(data[a], data[pivot]);
    int i = a + 1, j = b - 1;
    while (i <= j && (cmp(data[i], data[a]) < 0))
        i++;
    while (i <= j && !(cmp(data[j], data[a]) < 0))
        j--;
    if (i > j) {
        std::swap(data[j], data[a]);
        return {j, true};
    }
    std::swap(data[i], data[j]);
    i++;
    j--;
    for (;;) {
        while (i <= j && (cmp(data[i], data[a]) < 0))
            i++;
        while (i <= j && !(cmp(data[j], data[a]) < 0))
            j--;
        if (i > j)
            break;
        std::swap(data[i], data[j]);
        i++;
        j--;
    }
    std::swap(data[j], data[a]);
    return {j, false};
}

template <class E, class C>
int partitionEqualCmpFunc(std::span<E> data, int a, int b, int pivot, C cmp)
{
    std::swap(data[a], data[pivot]);
    int i = a + 1, j = b - 1;
    for (;;) {
        while (i <= j && !(cmp(data[a], data[i]) < 0))
            i++;
        while (i <= j && (cmp(data[a], data[j]) < 0))
            j--;
        if (i > j)
            break;
        std::swap(data[i], data[j]);
        i++;
        j--;
    }
    return i;
}

template <class E, class C>
bool partialInsertionSortCmpFunc(std::span<E> data, int a, int b, C cmp)
{
    const int maxSteps = 5, shortestShifting = 50;
    int i = a + 1;
    for (int j = 0; j < maxSteps; j++) {
        while (i < b && !(cmp(data[i], data[i - 1]) < 0))
            i++;
        if (i == b)
            return true;
        if (b - a < shortestShifting)
            return false;
        std::swap(data[i], data[i - 1]);
        if (i - a >= 2) {
            for (int k = i - 1; k >= 1; k--) {
                if (!(cmp(data[k], data[k - 1]) < 0))
                    break;
                std::swap(data[k], data[k - 1]);
            }
        }
        if (b - i >= 2) {
            for (int k = i + 1; k < b; k++) {
                if (!(cmp(data[k], data[k - 1]) < 0))
                    break;
                std::swap(data[k], data[k - 1]);
            }
        }
    }
    return false;
}

template <class E>
void breakPatternsCmpFunc(std::span<E> data, int a, int b)
{
    int length = b - a;
    if (length >= 8) {
        xorshift random{static_cast<uint64>(length)};
        uint64 modulus = nextPowerOfTwo(length);
        for (int idx = a + (length / 4) * 2 - 1; idx <= a + (length / 4) * 2 + 1; idx++) {
            int other = static_cast<int>(random.Next() & (modulus - 1));
            if (other >= length)
                other -= length;
            std::swap(data[idx], data[a + other]);
        }
    }
}

template <class E, class C>
std::tuple<int, int> order2CmpFunc(std::span<E> data, int a, int b, int* swaps, C cmp)
{
    if (cmp(data[b], data[a]) < 0) {
        (*swaps)++;
        return {b, a};
    }
    return {a, b};
}

template <class E, class C>
int medianCmpFunc(std::span<E> data, int a, int b, int c, int* swaps, C cmp)
{
    std::tie(a, b) = order2CmpFunc(data, a, b, swaps, cmp);
    std::tie(b, c) = order2CmpFunc(data, b, c, swaps, cmp);
    std::tie(a, b) = order2CmpFunc(data, a, b, swaps, cmp);
    return b;
}

template <class E, class C>
int medianAdjacentCmpFunc(std::span<E> data, int a, int* swaps, C cmp)
{
    return medianCmpFunc(data, a - 1, a, a + 1, swaps, cmp);
}

template <class E, class C>
std::tuple<int, sortedHint> choosePivotCmpFunc(std::span<E> data, int a, int b, C cmp)
{
    const int shortestNinther = 50, maxSwaps = 4 * 3;
    int l = b - a;
    int swaps = 0;
    int i = a + l / 4 * 1;
    int j = a + l / 4 * 2;
    int k = a + l / 4 * 3;
    if (l >= 8) {
        if (l >= shortestNinther) {
            i = medianAdjacentCmpFunc(data, i, &swaps, cmp);
            j = medianAdjacentCmpFunc(data, j, &swaps, cmp);
            k = medianAdjacentCmpFunc(data, k, &swaps, cmp);
        }
        j = medianCmpFunc(data, i, j, k, &swaps, cmp);
    }
    switch (swaps) {
    case 0:
        return {j, increasingHint};
    case maxSwaps:
        return {j, decreasingHint};
    default:
        return {j, unknownHint};
    }
}

template <class E>
void reverseRangeCmpFunc(std::span<E> data, int a, int b)
{
    int i = a;
    int j = b - 1;
    while (i < j) {
        std::swap(data[i], data[j]);
        i++;
        j--;
    }
}

template <class E, class C>
void pdqsortCmpFunc(std::span<E> data, int a, int b, int limit, C cmp)
{
    const int maxInsertion = 12;
    bool wasBalanced = true, wasPartitioned = true;
    for (;;) {
        int length = b - a;
        if (length <= maxInsertion) {
            insertionSortCmpFunc(data, a, b, cmp);
            return;
        }
        if (limit == 0) {
            heapSortCmpFunc(data, a, b, cmp);
            return;
        }
        if (!wasBalanced) {
            breakPatternsCmpFunc(data, a, b);
            limit--;
        }
        auto [pivot, hint] = choosePivotCmpFunc(data, a, b, cmp);
        if (hint == decreasingHint) {
            reverseRangeCmpFunc(data, a, b);
            pivot = (b - 1) - (pivot - a);
            hint = increasingHint;
        }
        if (wasBalanced && wasPartitioned && hint == increasingHint) {
            if (partialInsertionSortCmpFunc(data, a, b, cmp))
                return;
        }
        if (a > 0 && !(cmp(data[a - 1], data[pivot]) < 0)) {
            int mid = partitionEqualCmpFunc(data, a, b, pivot, cmp);
            a = mid;
            continue;
        }
        auto [mid, alreadyPartitioned] = partitionCmpFunc(data, a, b, pivot, cmp);
        wasPartitioned = alreadyPartitioned;
        int leftLen = mid - a, rightLen = b - mid;
        int balanceThreshold = length / 8;
        if (leftLen < rightLen) {
            wasBalanced = leftLen >= balanceThreshold;
            pdqsortCmpFunc(data, a, mid, limit, cmp);
            a = mid + 1;
        } else {
            wasBalanced = rightLen >= balanceThreshold;
            pdqsortCmpFunc(data, mid + 1, b, limit, cmp);
            b = mid;
        }
    }
}

template <class E, class C>
void SortFunc(std::span<E> x, C cmp)
{
    int n = static_cast<int>(x.size());
    pdqsortCmpFunc(x, 0, n, Len(static_cast<uint64>(n)), cmp);
}

// --- promql/quantile.go
const double smallDeltaTolerance = 1e-12;

struct Bucket {
    double UpperBound;
    double Count;
};
using Buckets = std::span<Bucket>;

Buckets coalesceBuckets(Buckets buckets)
{
    Bucket last = buckets[0];
    std::size_t i = 0;
    for (const Bucket& b : buckets.subspan(1)) {
        if (b.UpperBound == last.UpperBound) {
            last.Count += b.Count;
        } else {
            buckets[i] = last;
            last = b;
            i++;
        }
    }
    buckets[i] = last;
    return buckets.first(i + 1);
}

struct MonotonicityInfo {
    bool forcedMonotonic = false, fixedPrecision = false;
    double minBucket = 0, maxBucket = 0, maxDiff = 0;
};

MonotonicityInfo ensureMonotonicAndIgnoreSmallDeltas(Buckets buckets, double tolerance)
{
    MonotonicityInfo r;
    r.minBucket = Inf(+1);
    r.maxBucket = Inf(-1);
    double prev = buckets[0].Count;
    for (std::size_t i = 1; i < buckets.size(); i++) {
        double curr = buckets[i].Count; // Assumed always positive.
        if (curr == prev)
            continue;
        if (Equal(prev, curr, tolerance)) {
            buckets[i].Count = prev;
            r.fixedPrecision = true;
            continue;
        }
        if (curr < prev) {
            buckets[i].Count = prev;
            r.forcedMonotonic = true;
            if (buckets[i].UpperBound < r.minBucket)
                r.minBucket = buckets[i].UpperBound;
            if (buckets[i].UpperBound > r.maxBucket)
                r.maxBucket = buckets[i].UpperBound;
            if (double diff = prev - curr; diff > r.maxDiff)
                r.maxDiff = diff;
            continue;
        }
        prev = curr;
    }
    return r;
}

struct QuantileResult {
    double quantile = 0;
    MonotonicityInfo info;
};

// Go never calls it with no bucket (funcHistogramQuantile skips those); the
// last-bucket check then answers NaN here instead of panicking.
QuantileResult BucketQuantile(double q, Buckets buckets)
{
    QuantileResult r;
    if (IsNaN(q)) {
        r.quantile = NaN();
        return r;
    } else if (q < 0) {
        r.quantile = Inf(-1);
        return r;
    } else if (q > 1) {
        r.quantile = Inf(+1);
        return r;
    }
    SortFunc(buckets, [](const Bucket& a, const Bucket& b) {
        if (a.UpperBound < b.UpperBound)
            return -1;
        if (a.UpperBound > b.UpperBound)
            return +1;
        return 0;
    });
    if (buckets.empty() || !IsInf(buckets[buckets.size() - 1].UpperBound, +1)) {
        r.quantile = NaN();
        return r;
    }

    buckets = coalesceBuckets(buckets);
    r.info = ensureMonotonicAndIgnoreSmallDeltas(buckets, smallDeltaTolerance);

    if (buckets.size() < 2) {
        r.quantile = NaN();
        return r;
    }
    const int len = static_cast<int>(buckets.size());
    double observations = buckets[len - 1].Count;
    if (observations == 0) {
        r.quantile = NaN();
        return r;
    }
    double rank = q * observations;
    int b = Search(len - 1, [&](int i) { return buckets[i].Count >= rank; });

    if (b == len - 1) {
        r.quantile = buckets[len - 2].UpperBound;
    } else if (b == 0 && buckets[0].UpperBound <= 0) {
        r.quantile = buckets[0].UpperBound;
    } else {
        double bucketStart = 0;
        double bucketEnd = buckets[b].UpperBound;
        double count = buckets[b].Count;
        if (b > 0) {
            bucketStart = buckets[b - 1].UpperBound;
            count -= buckets[b - 1].Count;
            rank -= buckets[b - 1].Count;
        }
        r.quantile = bucketStart + (bucketEnd - bucketStart) * (rank / count);
    }
    return r;
}

} // namespace go
// ---------------------------------------------------------------------------

using fwm::mapping::Bucket;

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Go's BucketQuantile on its own copy, as every call in Prometheus gets.
go::QuantileResult reference(double q, const std::vector<Bucket>& in)
{
    std::vector<go::Bucket> copy;
    copy.reserve(in.size());
    for (const Bucket& b : in)
        copy.push_back({b.upper, b.cumulative});
    return go::BucketQuantile(q, copy);
}

// How promqltest compares a result with the expected value:
// almost.Equal(expected, actual, defaultEpsilon) with defaultEpsilon = 1e-6.
bool promqltest_equal(double expected, double actual)
{
    return go::Equal(expected, actual, 0.000001);
}

bool bit_identical(double a, double b)
{
    return (std::isnan(a) && std::isnan(b)) || std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// The production path as the mapper runs it: coalesce once, all qs at once.
std::vector<double> production(const std::vector<double>& qs, std::vector<Bucket> buckets)
{
    fwm::mapping::coalesce(buckets);
    std::vector<double> out(qs.size(), -12345.0);
    fwm::mapping::histogram_quantiles(qs.data(), qs.size(), buckets, out.data());
    return out;
}

std::string show(const std::vector<Bucket>& b)
{
    std::string s;
    char buf[96];
    for (const Bucket& x : b) {
        std::snprintf(buf, sizeof buf, "{%a, %a} ", x.upper, x.cumulative);
        s += buf;
    }
    return s;
}

// ---------------------------------------------------------------------------
// histograms.test's classic series, as each eval sees them at its instant.

// rate(x[10m]) at 50m of a series `0+kx10` loaded every 5m: samples at 45m
// and 50m, extrapolated to the 40m start; extrapolatedRate computes
// (last - first) * ((sampled + toStart + toEnd) / sampled / range).
double rate_10m_at_50m(double k)
{
    return k * ((300.0 + 300.0 + 0.0) / 300.0 / 600.0);
}

// rate(x[15m]) at 47m of `0+kx10`: samples at 35m, 40m, 45m.
double rate_15m_at_47m(double k)
{
    return (2 * k) * ((600.0 + 180.0 + 120.0) / 600.0 / 900.0);
}

// load_with_nhcb 5m testhistogram_bucket{...} 0+5x10 ...: values at 50m.
const std::vector<Bucket> testhistogram_positive = {{0.1, 50}, {.2, 70}, {1e0, 110}, {kInf, 120}};
const std::vector<Bucket> testhistogram_negative = {{-.2, 10}, {-0.1, 20}, {0.3, 20}, {kInf, 30}};

std::vector<Bucket> rated(const std::vector<Bucket>& at_50m)
{
    std::vector<Bucket> r = at_50m;
    for (Bucket& b : r)
        b.cumulative = rate_10m_at_50m(b.cumulative / 10); // 10 steps of k
    return r;
}

// testhistogram2_bucket (0+0x10, 0+1x10, 0+2x10, 0+3x10, 0+3x10) at 7m: the
// 5m sample.
const std::vector<Bucket> testhistogram2_at_7m = {{0, 0}, {2, 1}, {4, 2}, {6, 3}, {kInf, 3}};
const std::vector<Bucket> testhistogram2_rate_15m_at_47m = {
    {0, rate_15m_at_47m(0)}, {2, rate_15m_at_47m(1)},    {4, rate_15m_at_47m(2)},
    {6, rate_15m_at_47m(3)}, {kInf, rate_15m_at_47m(3)}};

// testhistogram3_bucket at 50m.
const std::vector<Bucket> testhistogram3_positive = {{0, 0}, {0.1, 50}, {.2, 70}, {1e0, 110}, {kInf, 110}};
const std::vector<Bucket> testhistogram3_negative = {{-.25, 0}, {-.2, 10}, {-0.1, 20}, {0.3, 20}, {kInf, 20}};

// request_duration_seconds_bucket{job, instance}: per-step increments of the
// 0.1, 0.2 and +Inf buckets, as rates over 10m at 50m.
struct Rd {
    double le01, le02, inf_;
};
const Rd j1i1{1, 3, 4}, j1i2{2, 5, 6}, j2i1{3, 4, 6}, j2i2{4, 7, 9};

std::vector<Bucket> rd_sum(std::initializer_list<Rd> series, double divide = 1)
{
    double a = 0, b = 0, c = 0;
    for (const Rd& s : series) {
        a += rate_10m_at_50m(s.le01);
        b += rate_10m_at_50m(s.le02);
        c += rate_10m_at_50m(s.inf_);
    }
    return {{0.1, a / divide}, {0.2, b / divide}, {kInf, c / divide}};
}

struct Expect {
    double q;
    double value;
};

struct Case {
    std::string eval;   // the eval line of histograms.test
    std::string series; // the output series checked
    std::vector<Bucket> buckets;
    std::vector<Expect> expect;
};

std::vector<Case> histograms_test_cases()
{
    const auto pos = testhistogram3_positive, neg = testhistogram3_negative;
    const auto tp = testhistogram_positive, tn = testhistogram_negative;
    const std::vector<Bucket> nonmonotonic = {{0.1, 20}, {1, 10}, {10, 50}, {100, 40}, {1000, 90}, {kInf, 80}};
    const double r1 = rate_10m_at_50m(1), r4 = rate_10m_at_50m(4), r0 = rate_10m_at_50m(0);
    // mixed_bucket: le="0.1", "0.2", "2e-1", "2.0e-1", "+Inf" for ins1; "+kInf" and "+Inf" for ins2.
    const std::vector<Bucket> mixed_ins1 = {{0.1, r1}, {0.2, r1}, {2e-1, r1}, {2.0e-1, r1}, {kInf, r4}};
    const std::vector<Bucket> mixed_ins2 = {{kInf, r0}, {kInf, r0}};
    const std::vector<Bucket> empty_bucket = {{0.1, r0}, {0.2, r0}, {kInf, r0}};
    const std::vector<Bucket> const_histogram = {{0.0, 0}, {1.0, 0}, {2.0, 0}, {kInf, 0}};
    const std::vector<Expect> q3 = {{0, 0}, {0.25, 0.055}, {0.5, 0.125}, {0.75, 0.45}, {1, 1}};
    const std::vector<Expect> q3n = {{0, -0.25}, {0.25, -0.225}, {0.5, -0.2}, {0.75, -0.15}, {1, -0.1}};

    return {
        // Test histogram_quantile, native and classic (the _bucket evals).
        {"histogram_quantile(0, testhistogram3_bucket)", "start=positive", pos, {{0, 0}}},
        {"histogram_quantile(0, testhistogram3_bucket)", "start=negative", neg, {{0, -0.25}}},
        {"histogram_quantile(0.25, testhistogram3_bucket)", "start=positive", pos, {{0.25, 0.055}}},
        {"histogram_quantile(0.25, testhistogram3_bucket)", "start=negative", neg, {{0.25, -0.225}}},
        {"histogram_quantile(0.5, testhistogram3_bucket)", "start=positive", pos, {{0.5, 0.125}}},
        {"histogram_quantile(0.5, testhistogram3_bucket)", "start=negative", neg, {{0.5, -0.2}}},
        {"histogram_quantile(0.75, testhistogram3_bucket)", "start=positive", pos, {{0.75, 0.45}}},
        {"histogram_quantile(0.75, testhistogram3_bucket)", "start=negative", neg, {{0.75, -0.15}}},
        {"histogram_quantile(1, testhistogram3_bucket)", "start=positive", pos, {{1, 1}}},
        {"histogram_quantile(1, testhistogram3_bucket)", "start=negative", neg, {{1, -0.1}}},
        {"histogram_quantiles(testhistogram3_bucket, \"q\", 0, 0.25, 0.5, 0.75, 1)", "start=positive", pos, q3},
        {"histogram_quantiles(testhistogram3_bucket, \"q\", 0, 0.25, 0.5, 0.75, 1)", "start=negative", neg, q3n},
        // Quantile too low.
        {"histogram_quantile(-0.1, testhistogram_bucket)", "start=positive", tp, {{-0.1, -kInf}}},
        {"histogram_quantile(-0.1, testhistogram_bucket)", "start=negative", tn, {{-0.1, -kInf}}},
        {"histogram_quantiles(testhistogram_bucket, \"q\", -0.1)", "start=positive", tp, {{-0.1, -kInf}}},
        {"histogram_quantiles(testhistogram_bucket, \"q\", -0.1)", "start=negative", tn, {{-0.1, -kInf}}},
        // Quantile too high.
        {"histogram_quantile(1.01, testhistogram_bucket)", "start=positive", tp, {{1.01, kInf}}},
        {"histogram_quantile(1.01, testhistogram_bucket)", "start=negative", tn, {{1.01, kInf}}},
        {"histogram_quantiles(testhistogram_bucket, \"q\", 1.01)", "start=positive", tp, {{1.01, kInf}}},
        {"histogram_quantiles(testhistogram_bucket, \"q\", 1.01)", "start=negative", tn, {{1.01, kInf}}},
        // Quantile invalid.
        {"histogram_quantile(NaN, testhistogram_bucket)", "start=positive", tp, {{kNaN, kNaN}}},
        {"histogram_quantile(NaN, testhistogram_bucket)", "start=negative", tn, {{kNaN, kNaN}}},
        {"histogram_quantiles(testhistogram_bucket, \"q\", NaN)", "start=positive", tp, {{kNaN, kNaN}}},
        {"histogram_quantiles(testhistogram_bucket, \"q\", NaN)", "start=negative", tn, {{kNaN, kNaN}}},
        // Quantile value in lowest bucket.
        {"histogram_quantile(0, testhistogram_bucket)", "start=positive", tp, {{0, 0}}},
        {"histogram_quantile(0, testhistogram_bucket)", "start=negative", tn, {{0, -0.2}}},
        // Quantile value in highest bucket.
        {"histogram_quantile(1, testhistogram_bucket)", "start=positive", tp, {{1, 1}}},
        {"histogram_quantile(1, testhistogram_bucket)", "start=negative", tn, {{1, 0.3}}},
        // Finally some useful quantiles.
        {"histogram_quantile(0.2, testhistogram_bucket)", "start=positive", tp, {{0.2, 0.048}}},
        {"histogram_quantile(0.2, testhistogram_bucket)", "start=negative", tn, {{0.2, -0.2}}},
        {"histogram_quantile(0.5, testhistogram_bucket)", "start=positive", tp, {{0.5, 0.15}}},
        {"histogram_quantile(0.5, testhistogram_bucket)", "start=negative", tn, {{0.5, -0.15}}},
        {"histogram_quantile(0.8, testhistogram_bucket)", "start=positive", tp, {{0.8, 0.72}}},
        {"histogram_quantile(0.8, testhistogram_bucket)", "start=negative", tn, {{0.8, 0.3}}},
        // More realistic with rates.
        {"histogram_quantile(0.2, rate(testhistogram_bucket[10m]))", "start=positive", rated(tp), {{0.2, 0.048}}},
        {"histogram_quantile(0.2, rate(testhistogram_bucket[10m]))", "start=negative", rated(tn), {{0.2, -0.2}}},
        {"histogram_quantile(0.5, rate(testhistogram_bucket[10m]))", "start=positive", rated(tp), {{0.5, 0.15}}},
        {"histogram_quantile(0.5, rate(testhistogram_bucket[10m]))", "start=negative", rated(tn), {{0.5, -0.15}}},
        {"histogram_quantile(0.8, rate(testhistogram_bucket[10m]))", "start=positive", rated(tp), {{0.8, 0.72}}},
        {"histogram_quantile(0.8, rate(testhistogram_bucket[10m]))", "start=negative", rated(tn), {{0.8, 0.3}}},
        // Want results exactly in the middle of the bucket.
        {"eval instant at 7m histogram_quantile(1./6., testhistogram2_bucket)",
         "{}", testhistogram2_at_7m, {{1. / 6., 1}}},
        {"eval instant at 7m histogram_quantile(0.5, testhistogram2_bucket)", "{}", testhistogram2_at_7m, {{0.5, 3}}},
        {"eval instant at 7m histogram_quantile(5./6., testhistogram2_bucket)",
         "{}", testhistogram2_at_7m, {{5. / 6., 5}}},
        {"eval instant at 47m histogram_quantile(1./6., rate(testhistogram2_bucket[15m]))",
         "{}", testhistogram2_rate_15m_at_47m, {{1. / 6., 1}}},
        {"eval instant at 47m histogram_quantile(0.5, rate(testhistogram2_bucket[15m]))",
         "{}", testhistogram2_rate_15m_at_47m, {{0.5, 3}}},
        {"eval instant at 47m histogram_quantile(5./6., rate(testhistogram2_bucket[15m]))",
         "{}", testhistogram2_rate_15m_at_47m, {{5. / 6., 5}}},
        // Aggregated histogram: Everything in one.
        {"histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le))",
         "{}", rd_sum({j1i1, j2i1, j1i2, j2i2}), {{0.3, 0.075}}},
        {"histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le))",
         "{}", rd_sum({j1i1, j2i1, j1i2, j2i2}), {{0.5, 0.1277777777777778}}},
        // Aggregated histogram: Everything in one. Now with avg.
        {"histogram_quantile(0.3, avg(rate(request_duration_seconds_bucket[10m])) by (le))",
         "{}", rd_sum({j1i1, j2i1, j1i2, j2i2}, 4), {{0.3, 0.075}}},
        {"histogram_quantile(0.5, avg(rate(request_duration_seconds_bucket[10m])) by (le))",
         "{}", rd_sum({j1i1, j2i1, j1i2, j2i2}, 4), {{0.5, 0.12777777777777778}}},
        // Aggregated histogram: By instance.
        {"histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, instance))",
         "instance=ins1", rd_sum({j1i1, j2i1}), {{0.3, 0.075}}},
        {"histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, instance))",
         "instance=ins2", rd_sum({j1i2, j2i2}), {{0.3, 0.075}}},
        {"histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, instance))",
         "instance=ins1", rd_sum({j1i1, j2i1}), {{0.5, 0.1333333333}}},
        {"histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, instance))",
         "instance=ins2", rd_sum({j1i2, j2i2}), {{0.5, 0.125}}},
        // Aggregated histogram: By job.
        {"histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, job))",
         "job=job1", rd_sum({j1i1, j1i2}), {{0.3, 0.1}}},
        {"histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, job))",
         "job=job2", rd_sum({j2i1, j2i2}), {{0.3, 0.0642857142857143}}},
        {"histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, job))",
         "job=job1", rd_sum({j1i1, j1i2}), {{0.5, 0.14}}},
        {"histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, job))",
         "job=job2", rd_sum({j2i1, j2i2}), {{0.5, 0.1125}}},
        // Aggregated histogram: By job and instance.
        {"histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
         "ins1,job1", rd_sum({j1i1}), {{0.3, 0.11}}},
        {"histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
         "ins2,job1", rd_sum({j1i2}), {{0.3, 0.09}}},
        {"histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
         "ins1,job2", rd_sum({j2i1}), {{0.3, 0.06}}},
        {"histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
         "ins2,job2", rd_sum({j2i2}), {{0.3, 0.0675}}},
        {"histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
         "ins1,job1", rd_sum({j1i1}), {{0.5, 0.15}}},
        {"histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
         "ins2,job1", rd_sum({j1i2}), {{0.5, 0.1333333333333333}}},
        {"histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
         "ins1,job2", rd_sum({j2i1}), {{0.5, 0.1}}},
        {"histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
         "ins2,job2", rd_sum({j2i2}), {{0.5, 0.1166666666666667}}},
        // The unaggregated histogram for comparison.
        {"histogram_quantile(0.3, rate(request_duration_seconds_bucket[10m]))",
         "ins1,job1", rd_sum({j1i1}), {{0.3, 0.11}}},
        {"histogram_quantile(0.3, rate(request_duration_seconds_bucket[10m]))",
         "ins2,job1", rd_sum({j1i2}), {{0.3, 0.09}}},
        {"histogram_quantile(0.3, rate(request_duration_seconds_bucket[10m]))",
         "ins1,job2", rd_sum({j2i1}), {{0.3, 0.06}}},
        {"histogram_quantile(0.3, rate(request_duration_seconds_bucket[10m]))",
         "ins2,job2", rd_sum({j2i2}), {{0.3, 0.0675}}},
        {"histogram_quantile(0.5, rate(request_duration_seconds_bucket[10m]))",
         "ins1,job1", rd_sum({j1i1}), {{0.5, 0.15}}},
        {"histogram_quantile(0.5, rate(request_duration_seconds_bucket[10m]))",
         "ins2,job1", rd_sum({j1i2}), {{0.5, 0.13333333333333333}}},
        {"histogram_quantile(0.5, rate(request_duration_seconds_bucket[10m]))",
         "ins1,job2", rd_sum({j2i1}), {{0.5, 0.1}}},
        {"histogram_quantile(0.5, rate(request_duration_seconds_bucket[10m]))",
         "ins2,job2", rd_sum({j2i2}), {{0.5, 0.11666666666666667}}},
        // Nonmonotonic buckets (`load 5m nonmonotonic_bucket{le=...} 0+2x10, 0+1x10, ...` at 50m).
        {"histogram_quantile(0.01, nonmonotonic_bucket)", "{}", nonmonotonic, {{0.01, 0.0045}}},
        {"histogram_quantile(0.5, nonmonotonic_bucket)", "{}", nonmonotonic, {{0.5, 8.5}}},
        {"histogram_quantile(0.99, nonmonotonic_bucket)", "{}", nonmonotonic, {{0.99, 979.75}}},
        {"histogram_quantiles(nonmonotonic_bucket, \"q\", 0.01, 0.5, 0.99)",
         "{}", nonmonotonic, {{0.01, 0.0045}, {0.5, 8.5}, {0.99, 979.75}}},
        // Buckets with different representations of the same upper bound.
        {"histogram_quantile(0.5, rate(mixed_bucket[10m]))", "instance=ins1", mixed_ins1, {{0.5, 0.15}}},
        {"histogram_quantile(0.5, rate(mixed_bucket[10m]))", "instance=ins2", mixed_ins2, {{0.5, kNaN}}},
        {"histogram_quantile(0.75, rate(mixed_bucket[10m]))", "instance=ins1", mixed_ins1, {{0.75, 0.2}}},
        {"histogram_quantile(0.75, rate(mixed_bucket[10m]))", "instance=ins2", mixed_ins2, {{0.75, kNaN}}},
        {"histogram_quantile(1, rate(mixed_bucket[10m]))", "instance=ins1", mixed_ins1, {{1, 0.2}}},
        {"histogram_quantile(1, rate(mixed_bucket[10m]))", "instance=ins2", mixed_ins2, {{1, kNaN}}},
        // empty_bucket: all buckets 0x10.
        {"histogram_quantile(0.2, rate(empty_bucket[10m]))", "instance=ins1", empty_bucket, {{0.2, kNaN}}},
        // Histogram with constant buckets: every rate is 0.
        {"eval instant at 5m histogram_quantile(1.0, sum by (le) (rate(const_histogram_bucket[5m])))",
         "{}", const_histogram, {{1.0, kNaN}}},
    };
}

// promql/quantile_test.go, TestBucketQuantile_ForcedMonotonicity: the float
// noise ("small deltas") cases, checked there with InEpsilon(1e-12).
struct NoiseCase {
    std::string name;
    std::vector<Bucket> buckets;
    bool forced, fixed;
    std::vector<Expect> expect;
};

std::vector<NoiseCase> quantile_test_go_cases()
{
    const std::vector<Expect> simple = {{1, 15.}, {0.99, 14.85}, {0.9, 13.5}, {0.5, 7.5}};
    const std::vector<Expect> real = {
        {1, 64.}, {0.99, 49.64475715376406}, {0.9, 46.39671690938454}, {0.5, 31.96098248992002}};
    const std::vector<Expect> real2 = {
        {1, 0.1}, {0.99, 0.03468750000281261}, {0.9, 0.00463541666671875}, {0.5, 0.0025752314815104174}};
    const double c2 = 9.888888889;
    return {
        {"simple - monotonic", {{10, 10}, {15, 15}, {20, 15}, {30, 15}, {kInf, 15}}, false, false, simple},
        {"simple - non-monotonic middle",
         {{10, 10}, {15, 15}, {20, 15.00000000001}, {30, 15}, {kInf, 15}}, false, true, simple},
        {"real example - monotonic",
         {{1, 6454661.3014166197}, {5, 8339611.2001912938}, {10, 14118319.2444762159}, {25, 14130031.5272856522},
          {50, 46001270.3030008152}, {64, 46008473.8585563600}, {80, 46008473.8585563600}, {100, 46008473.8585563600},
          {250, 46008473.8585563600}, {1000, 46008473.8585563600}, {kInf, 46008473.8585563600}},
         false, false, real},
        {"real example - non-monotonic",
         {{1, 6454661.3014166225}, {5, 8339611.2001912957}, {10, 14118319.2444762159}, {25, 14130031.5272856504},
          {50, 46001270.3030008227}, {64, 46008473.8585563824}, {80, 46008473.8585563898}, {100, 46008473.8585563824},
          {250, 46008473.8585563824}, {1000, 46008473.8585563898}, {kInf, 46008473.8585563824}},
         false, true, real},
        {"real example 2 - monotonic",
         {{0.005, 9.6}, {0.01, 9.688888889}, {0.025, 9.755555556}, {0.05, 9.844444444}, {0.1, c2}, {0.25, c2},
          {0.5, c2},
          {1, c2}, {2.5, c2}, {5, c2}, {10, c2}, {25, c2}, {50, c2}, {100, c2}, {kInf, c2}},
         false, false, real2},
        {"real example 2 - non-monotonic",
         {{0.005, 9.6}, {0.01, 9.688888889}, {0.025, 9.755555556}, {0.05, 9.844444444}, {0.1, c2}, {0.25, c2},
          {0.5, c2},
          {1, c2}, {2.5, c2}, {5, c2}, {10, 9.888888889001}, {25, c2}, {50, 9.888888888999}, {100, c2}, {kInf, c2}},
         false, true, real2},
    };
}

// testify's InEpsilon: relative error at most epsilon.
bool in_epsilon(double expected, double actual, double epsilon)
{
    return std::fabs(expected - actual) / std::fabs(expected) <= epsilon;
}

// ---------------------------------------------------------------------------
// Random bucket sets for the differential.

struct Generator {
    std::mt19937_64 rng;

    explicit Generator(std::uint64_t seed) : rng(seed) {}

    double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
    std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }
    bool chance(double p) { return uniform(0, 1) < p; }

    double bound()
    {
        static const double ladder[] = {-1e6, -100, -10, -1, -0.5, -0.25, -0.1, -1e-300, -0.0, 0.0, 5e-324, 0.001,
                                        0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 64, 100,
                                        250, 500, 1000, 5000, 1e4, 1e300, std::numeric_limits<double>::max()};
        const double r = uniform(0, 1);
        if (r < 0.7)
            return ladder[below(std::size(ladder))];
        if (r < 0.97)
            return uniform(-50, 5000);
        if (r < 0.985)
            return -kInf;
        return kInf;
    }

    std::vector<Bucket> buckets()
    {
        const std::size_t n = below(41); // 0 to 40 buckets
        std::vector<Bucket> b;
        b.reserve(n + 1);
        for (std::size_t i = 0; i < n; ++i)
            b.push_back({bound(), 0});
        std::sort(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
        if (!b.empty() && chance(0.85)) // most have a +Inf bucket
            b.back().upper = kInf;
        if (!b.empty() && chance(0.15)) { // repeated bounds ("1", "1.0", "1e0")
            const std::size_t copies = 1 + below(4);
            for (std::size_t k = 0; k < copies; ++k)
                b.insert(b.begin() + static_cast<std::ptrdiff_t>(below(b.size())), b[below(b.size())]);
        }
        if (chance(0.01) && !b.empty()) // a NaN bound: Go sorts it wherever its comparator leaves it
            b[below(b.size())].upper = kNaN;

        // Cumulative counts of one kind per set, then noise.
        const double r = uniform(0, 1);
        double total = 0;
        for (Bucket& x : b) {
            if (r < 0.25)
                total += static_cast<double>(below(10)); // plain counters
            else if (r < 0.5)
                total += static_cast<double>(below(10)) / 300.0; // rates
            else if (r < 0.6)
                total += uniform(0, 1) * 1e12; // large counts, where 1e-12 is about one observation
            else if (r < 0.7)
                total += below(3) == 0 ? uniform(0, 1e-300) : 0; // tiny and subnormal
            else if (r < 0.75)
                total = 0; // no observation
            else if (r < 0.78)
                total += uniform(0, 1) * 1e307; // near the largest double, and past it
            else
                total += uniform(0, 5);
            x.cumulative = total;
        }
        const double noise = uniform(0, 1) < 0.5 ? 0.0 : uniform(0, 0.3);
        for (Bucket& x : b) {
            if (!chance(noise))
                continue;
            static const double rel[] = {1e-13, -1e-13, 5e-13, -5e-13, 9.99e-13, -9.99e-13, 1e-12, -1e-12,
                                         1.0001e-12, -1.0001e-12, 2e-12, -2e-12, 1e-15, -1e-16};
            const double k = uniform(0, 1);
            if (k < 0.6)
                x.cumulative *= 1 + rel[below(std::size(rel))]; // float noise, both ways
            else if (k < 0.65)
                x.cumulative = std::nextafter(x.cumulative, below(2) ? kInf : -kInf);
            else if (k < 0.8)
                x.cumulative -= uniform(0, 1) * (x.cumulative + 1); // a real decrease
            else if (k < 0.85)
                x.cumulative = kNaN;
            else if (k < 0.87)
                x.cumulative = std::bit_cast<double>(go::StaleNaN);
            else if (k < 0.92)
                x.cumulative = kInf;
            else if (k < 0.94)
                x.cumulative = -kInf;
            else if (k < 0.97)
                x.cumulative = -x.cumulative - 1; // negative counts
            else
                x.cumulative = -0.0;
        }
        const double order = uniform(0, 1);
        if (order < 0.4)
            std::shuffle(b.begin(), b.end(), rng);
        else if (order < 0.5)
            std::reverse(b.begin(), b.end());
        else if (order < 0.55 && b.size() > 2)
            std::swap(b[below(b.size())], b[below(b.size())]);
        return b;
    }
};

std::vector<double> quantile_grid()
{
    return {0,
            -0.0,
            5e-324,
            1e-300,
            1e-17,
            1e-9,
            0.001,
            0.01,
            0.05,
            0.1,
            0.2,
            0.25,
            0.3,
            1.0 / 3.0,
            0.5,
            0.75,
            0.9,
            0.95,
            0.99,
            0.999,
            0.9999,
            1 - 1e-9,
            1 - 1e-16,
            std::nextafter(1.0, 0.0),
            1,
            std::nextafter(1.0, 2.0),
            1.01,
            -5e-324,
            -0.1,
            kNaN,
            kInf,
            -kInf};
}

} // namespace

BOOST_AUTO_TEST_SUITE(quantile)

BOOST_AUTO_TEST_CASE(histograms_test_classic_cases)
{
    std::set<std::string> evals;
    int series = 0, checks = 0;
    for (const Case& c : histograms_test_cases()) {
        evals.insert(c.eval);
        ++series;
        std::vector<double> qs;
        for (const Expect& e : c.expect)
            qs.push_back(e.q);
        const std::vector<double> all = production(qs, c.buckets); // histogram_quantiles
        for (std::size_t i = 0; i < c.expect.size(); ++i) {
            const Expect& e = c.expect[i];
            const double one = fwm::mapping::histogram_quantile(e.q, c.buckets);
            const double ref = reference(e.q, c.buckets).quantile;
            const std::string where = c.eval + " " + c.series + " q=" + std::to_string(e.q);
            BOOST_TEST(promqltest_equal(e.value, all[i]), where << ": expected " << e.value << ", got " << all[i]);
            BOOST_TEST(promqltest_equal(e.value, one), where << ": expected " << e.value << ", got " << one);
            BOOST_TEST(promqltest_equal(e.value, ref), where << " (reference port): got " << ref);
            BOOST_TEST(bit_identical(all[i], ref), where);
            ++checks;
        }
    }
    // Buckets given out of order in the input change nothing: Prometheus sorts.
    std::vector<Bucket> shuffled = {{kInf, 120}, {1e0, 110}, {0.1, 50}, {.2, 70}};
    BOOST_TEST(promqltest_equal(0.72, fwm::mapping::histogram_quantile(0.8, shuffled)));
    BOOST_TEST_MESSAGE("histograms.test: " << evals.size() << " classic eval lines, " << series << " output series, "
                                            << checks << " values");
}

BOOST_AUTO_TEST_CASE(quantile_test_go_small_deltas)
{
    for (const NoiseCase& c : quantile_test_go_cases()) {
        for (const Expect& e : c.expect) {
            const go::QuantileResult ref = reference(e.q, c.buckets);
            BOOST_TEST(ref.info.forcedMonotonic == c.forced, c.name);
            BOOST_TEST(ref.info.fixedPrecision == c.fixed, c.name);
            BOOST_TEST(in_epsilon(e.value, ref.quantile, 1e-12), c.name << " (reference port) q=" << e.q);
            const double got = production({e.q}, c.buckets)[0];
            BOOST_TEST(in_epsilon(e.value, got, 1e-12),
                       c.name << " q=" << e.q << ": expected " << e.value << ", got " << got);
            BOOST_TEST(bit_identical(got, ref.quantile), c.name << " q=" << e.q);
        }
    }
}

BOOST_AUTO_TEST_CASE(prometheus_rules_and_edge_cases)
{
    using fwm::mapping::histogram_quantile;
    // No +Inf bucket, one bucket, no observation: NaN.
    BOOST_TEST(std::isnan(histogram_quantile(0.5, {{10, 1}, {100, 2}})));
    BOOST_TEST(std::isnan(histogram_quantile(0.5, {{kInf, 5}})));
    BOOST_TEST(std::isnan(histogram_quantile(0.5, {{kInf, 5}, {kInf, 5}}))); // one bucket once merged
    BOOST_TEST(std::isnan(histogram_quantile(0.5, {})));
    BOOST_TEST(std::isnan(histogram_quantile(0.5, {{10, 0}, {kInf, 0}})));
    // q is answered before the buckets are looked at.
    BOOST_TEST(histogram_quantile(-0.1, {}) == -kInf);
    BOOST_TEST(histogram_quantile(1.01, {{10, 1}}) == kInf);
    BOOST_TEST(std::isnan(histogram_quantile(kNaN, {{10, 1}, {kInf, 2}})));
    // A rank in the +Inf bucket: the next bound down.
    BOOST_TEST(histogram_quantile(0.5, {{10, 0}, {kInf, 4}}) == 10.0);
    // q = 0 over an empty first bucket above 0: 0 * (0 / 0) = NaN.
    BOOST_TEST(std::isnan(histogram_quantile(0, {{1, 0}, {2, 5}, {kInf, 5}})));
    // ... and over a first bucket at or below 0: that bound.
    BOOST_TEST(histogram_quantile(0, {{-1, 0}, {2, 5}, {kInf, 5}}) == -1.0);
    // A NaN total: the rank is NaN, never reached, so the next bound down.
    BOOST_TEST(histogram_quantile(0.5, {{1, 1}, {2, 2}, {kInf, kNaN}}) == 2.0);
    // An infinite total and q = 0: 0 * Inf is NaN, same again.
    BOOST_TEST(histogram_quantile(0, {{1, 1}, {2, 2}, {kInf, kInf}}) == 2.0);
    // A decrease is flattened, noise within 1e-12 is ignored both ways.
    BOOST_TEST(histogram_quantile(0.5, {{10, 4}, {100, 2}, {kInf, 4}}) == 5.0);
    BOOST_TEST(histogram_quantile(1, {{10, 1e12}, {100, 1e12 + 0.5}, {kInf, 1e12}}) == 10.0);
    BOOST_TEST(histogram_quantile(1, {{10, 1e12}, {100, 1e12 + 3}, {kInf, 1e12 + 3}}) == 100.0);
    // The tolerance is exclusive: |a - b| / (|a| + |b|) = 1 / 1e12 exactly is
    // not noise.
    BOOST_TEST(histogram_quantile(1, {{10, 5e11 - 0.5}, {100, 5e11 + 0.5}, {kInf, 5e11 + 0.5}}) == 100.0);
    BOOST_TEST(histogram_quantile(1, {{10, 5e11 - 0.25}, {100, 5e11 + 0.25}, {kInf, 5e11 + 0.25}}) == 10.0);
    // |a| + |b| overflowing: Go divides by MaxFloat64 instead (math.Min), so
    // these are not taken as equal.
    BOOST_TEST(histogram_quantile(1, {{10, 1e308}, {100, 1.5e308}, {kInf, 1.5e308}}) == 100.0);
}

BOOST_AUTO_TEST_CASE(coalesce_sums_equal_bounds_in_go_order)
{
    using fwm::mapping::coalesce;
    // Sorted by bound; equal bounds summed left to right in sorted order,
    // which for up to 12 buckets is input order (Go's insertion sort):
    // (1e16 + 1) + 1 rounds to 1e16, 1e16 + (1 + 1) would not.
    std::vector<Bucket> b = {{1, 1e16}, {0.5, 3}, {1, 1}, {kInf, 7}, {1, 1}};
    coalesce(b);
    BOOST_TEST_REQUIRE(b.size() == 3u);
    BOOST_TEST(b[0].upper == 0.5);
    BOOST_TEST(b[0].cumulative == 3.0);
    BOOST_TEST(b[1].upper == 1.0);
    BOOST_TEST(b[1].cumulative == 1e16);
    BOOST_TEST(std::isinf(b[2].upper));
    std::vector<Bucket> c = {{1, 1}, {1, 1}, {1, 1e16}, {kInf, 7}};
    coalesce(c);
    BOOST_TEST(c[0].cumulative == 1e16 + 2);

    // -0 and +0 are equal bounds: the first one in sorted order is kept.
    std::vector<Bucket> z = {{0.0, 1}, {-0.0, 2}, {kInf, 3}};
    coalesce(z);
    BOOST_TEST_REQUIRE(z.size() == 2u);
    BOOST_TEST(!std::signbit(z[0].upper));
    BOOST_TEST(z[0].cumulative == 3.0);
    std::vector<Bucket> nz = {{-0.0, 2}, {0.0, 1}, {kInf, 3}};
    coalesce(nz);
    BOOST_TEST(std::signbit(nz[0].upper));

    // A NaN count makes its merged bucket NaN.
    std::vector<Bucket> nc = {{1, kNaN}, {1, 2}, {kInf, 3}};
    coalesce(nc);
    BOOST_TEST_REQUIRE(nc.size() == 2u);
    BOOST_TEST(std::isnan(nc[0].cumulative));

    // A NaN bound compares neither less nor greater: it stays where the sort
    // leaves it and is never merged, not even with another NaN.
    std::vector<Bucket> nb = {{kNaN, 1}, {1, 2}, {kNaN, 1}, {kInf, 3}};
    coalesce(nb);
    BOOST_TEST_REQUIRE(nb.size() == 4u);
    BOOST_TEST(std::isnan(nb[0].upper));
    BOOST_TEST(nb[1].upper == 1.0);
    BOOST_TEST(std::isnan(nb[2].upper));
    BOOST_TEST(std::isinf(nb[3].upper));

    std::vector<Bucket> none;
    coalesce(none);
    BOOST_TEST(none.empty());
}

BOOST_AUTO_TEST_CASE(coalesce_matches_go_sort_on_long_inputs)
{
    // Past 12 buckets Go's sort is an unstable pdqsort: equal bounds and NaN
    // bounds end up where it puts them. Sizes up to 400, few distinct
    // bounds, patterns that make pdqsort partition, break patterns and fall
    // back to heapsort.
    Generator g(20240611);
    int cases = 0, mismatches = 0;
    for (int round = 0; round < 20000; ++round) {
        const std::size_t n = g.below(400) + 1;
        const std::size_t distinct = 1 + g.below(g.chance(0.5) ? 8 : 400);
        std::vector<Bucket> in(n);
        const int pattern = static_cast<int>(g.below(6));
        for (std::size_t i = 0; i < n; ++i) {
            double v;
            switch (pattern) {
            case 0: v = static_cast<double>(g.below(distinct)); break;                  // random
            case 1: v = static_cast<double>(i % distinct); break;                       // sawtooth
            case 2: v = static_cast<double>((n - i) / (n / distinct + 1)); break;       // descending runs
            case 3: v = static_cast<double>(i < n / 2 ? i : n - i); break;              // organ pipe
            case 4: v = static_cast<double>(i) + (g.chance(0.05) ? -3.0 : 0.0); break; // almost sorted
            default: v = static_cast<double>(i % 2 ? i : n - i); break;                 // interleaved
            }
            if (g.chance(0.02))
                v = kNaN;
            else if (g.chance(0.02))
                v = g.chance(0.5) ? -0.0 : 0.0;
            in[i] = {v, g.uniform(0, 1) * (g.chance(0.5) ? 1 : 1e16)};
        }
        std::vector<Bucket> mine = in;
        fwm::mapping::coalesce(mine);
        std::vector<go::Bucket> theirs;
        for (const Bucket& b : in)
            theirs.push_back({b.upper, b.cumulative});
        go::SortFunc(std::span<go::Bucket>(theirs), [](const go::Bucket& a, const go::Bucket& b) {
            if (a.UpperBound < b.UpperBound)
                return -1;
            if (a.UpperBound > b.UpperBound)
                return +1;
            return 0;
        });
        const go::Buckets merged = go::coalesceBuckets(theirs);
        bool same = merged.size() == mine.size();
        for (std::size_t i = 0; same && i < mine.size(); ++i)
            same = bit_identical(mine[i].upper, merged[i].UpperBound) &&
                   bit_identical(mine[i].cumulative, merged[i].Count);
        if (!same && ++mismatches <= 3)
            BOOST_ERROR("coalesce differs from Go for " << show(in));
        ++cases;
    }
    BOOST_TEST(mismatches == 0);
    BOOST_TEST_MESSAGE("coalesce vs Go's sort + coalesceBuckets: " << cases << " inputs, " << mismatches
                                                                    << " differences");
}

// McIlroy's "A Killer Adversary for Quicksort": bounds chosen while Go's
// sort runs so that its pivots are bad, which drives pdqsort to its heapsort
// fallback. Of two unset ("gas") values the first argument is set, unlike in
// the paper, so that the input never looks already sorted to pdqsort.
std::vector<double> killer_bounds(int n)
{
    const int gas = n;
    std::vector<int> value(static_cast<std::size_t>(n), gas), ids(static_cast<std::size_t>(n));
    int solid = 0, candidate = 0;
    for (int i = 0; i < n; ++i)
        ids[static_cast<std::size_t>(i)] = i;
    go::heapSortCalls = 0;
    go::SortFunc(std::span<int>(ids), [&](int x, int y) {
        int& vx = value[static_cast<std::size_t>(x)];
        int& vy = value[static_cast<std::size_t>(y)];
        if (vx == gas && vy == gas) {
            if (go::heapSortCalls > 0)
                return 0; // from here on unset values stay equal: the heap's order of equals shows
            if (y == candidate)
                vy = solid++;
            else
                vx = solid++;
        }
        if (vx == gas)
            candidate = x;
        else if (vy == gas)
            candidate = y;
        return vx < vy ? -1 : (vx > vy ? 1 : 0);
    });
    return std::vector<double>(value.begin(), value.end());
}

BOOST_AUTO_TEST_CASE(coalesce_matches_go_sort_on_adversarial_input)
{
    Generator g(7);
    for (int n : {60, 64, 100, 257, 1000, 4096}) {
        const std::vector<double> bounds = killer_bounds(n);
        std::vector<Bucket> in;
        for (double v : bounds)
            in.push_back({v, g.uniform(0, 1) * (g.chance(0.5) ? 1 : 1e16)});
        std::vector<go::Bucket> theirs;
        for (const Bucket& b : in)
            theirs.push_back({b.upper, b.cumulative});
        go::heapSortCalls = 0;
        go::SortFunc(std::span<go::Bucket>(theirs), [](const go::Bucket& a, const go::Bucket& b) {
            if (a.UpperBound < b.UpperBound)
                return -1;
            if (a.UpperBound > b.UpperBound)
                return +1;
            return 0;
        });
        BOOST_TEST(go::heapSortCalls > 0, "n=" << n << ": the input did not reach Go's heapsort fallback");
        const go::Buckets merged = go::coalesceBuckets(theirs);
        std::vector<Bucket> mine = in;
        fwm::mapping::coalesce(mine);
        BOOST_TEST(merged.size() < in.size(), "n=" << n << ": no equal bounds left to merge");
        BOOST_TEST_REQUIRE(mine.size() == merged.size());
        for (std::size_t i = 0; i < mine.size(); ++i) {
            BOOST_TEST(bit_identical(mine[i].upper, merged[i].UpperBound), "n=" << n << " bucket " << i);
            BOOST_TEST(bit_identical(mine[i].cumulative, merged[i].Count), "n=" << n << " bucket " << i);
        }
    }
}

BOOST_AUTO_TEST_CASE(differential_against_quantile_go)
{
    Generator g(0x5eed0fb0c4e7ULL);
    const std::vector<double> grid = quantile_grid();
    long sets = 0, values = 0, mismatches = 0, nan_results = 0, fixed = 0, forced = 0;
    for (int round = 0; round < 200000; ++round) {
        const std::vector<Bucket> in = g.buckets();
        std::vector<double> qs = grid;
        for (int k = 0; k < 4; ++k)
            qs.push_back(g.uniform(0, 1));
        const std::vector<double> got = production(qs, in);
        for (std::size_t i = 0; i < qs.size(); ++i) {
            const go::QuantileResult r = reference(qs[i], in);
            const double want = r.quantile;
            if (qs[i] == 0.5) { // what the fix-up did, counted once per set
                fixed += r.info.fixedPrecision;
                forced += r.info.forcedMonotonic;
            }
            // The one-quantile convenience too, on a sample (it coalesces its own copy).
            const bool sampled = i % 7 == static_cast<std::size_t>(round % 7);
            const double one = sampled ? fwm::mapping::histogram_quantile(qs[i], in) : want;
            ++values;
            if (std::isnan(want))
                ++nan_results;
            if (!bit_identical(got[i], want) || !bit_identical(one, want)) {
                if (++mismatches <= 5) {
                    char buf[160];
                    std::snprintf(buf, sizeof buf, "q=%a: Go %a, histogram_quantiles %a, histogram_quantile %a", qs[i],
                                  want, got[i], one);
                    BOOST_ERROR(buf << " for " << show(in));
                }
            }
        }
        ++sets;
    }
    BOOST_TEST(mismatches == 0);
    BOOST_TEST_MESSAGE("differential vs quantile.go: " << sets << " bucket sets, " << values << " quantiles ("
                                                        << nan_results << " NaN), " << mismatches
                                                        << " not bit-identical; small deltas ignored in " << fixed
                                                        << " sets, monotonicity forced in " << forced);
}

BOOST_AUTO_TEST_SUITE_END()
