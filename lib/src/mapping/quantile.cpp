#include "mapping/quantile.hpp"

#include <cmath>
#include <limits>

namespace fwm::mapping {

double histogram_quantile(double q, const std::vector<Bucket>& in)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    if (std::isnan(q))
        return nan;
    if (q < 0)
        return -inf;
    if (q > 1)
        return inf;
    if (in.size() < 2 || !std::isinf(in.back().upper) || in.back().upper < 0)
        return nan;
    std::vector<Bucket> b = in;
    double max = 0;
    for (auto& x : b) { // ensureMonotonic
        if (std::isnan(x.cumulative))
            x.cumulative = max;
        if (x.cumulative < max)
            x.cumulative = max;
        max = x.cumulative;
    }
    const double observations = b.back().cumulative;
    if (!(observations > 0))
        return nan;
    double rank = q * observations;
    std::size_t i = 0;
    while (i + 1 < b.size() && b[i].cumulative < rank)
        ++i;
    if (i == b.size() - 1)
        return b[b.size() - 2].upper;
    if (i == 0 && b[0].upper <= 0)
        return b[0].upper;
    double start = 0;
    double end = b[i].upper;
    double count = b[i].cumulative;
    if (i > 0) {
        start = b[i - 1].upper;
        count -= b[i - 1].cumulative;
        rank -= b[i - 1].cumulative;
    }
    if (count == 0)
        return end;
    return start + (end - start) * (rank / count);
}

} // namespace fwm::mapping
