// Step 4 of a run, carry: what a series submitted as counts keeps between
// runs. A rate becomes a whole count of events since the series was last
// submitted, a histogram's cumulative buckets whole counts of observations
// since then; the fractions wait for the next run.
//
// A carry belongs to one series: one Datadog name submitted with one set of
// tags, found by the hash of the name combined with the tags' hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mapping/quantile.hpp"

namespace fwm::mapping {

inline constexpr double kWindow = 60;       // Fireworks' recording rules cover one minute
inline constexpr double kForgetAfter = 600; // seconds a carry outlives its series, at least

struct Carry {
    double last_submitted = 0;
    double last_seen = 0;
    std::vector<std::pair<double, double>> remainders; // (bucket upper bound, fraction); rates use one
};

// When a run happens, and the seconds a series' first run counts.
struct RunClock {
    double now = 0;
    double first_interval = 0;
};

// The series a carry belongs to.
struct CarryOwner {
    std::string_view name;       // the Datadog name counted
    std::uint64_t identity_hash; // the hash of its tags (Grouper::hash)
};

// A histogram's whole count of observations between two bounds.
struct CountedBucket {
    const std::string* name;
    double count, lower, upper;
};

// rate x seconds since `c` was last submitted, in whole units, into
// `whole`; false when that is not a finite number (the fraction is then
// forgotten). `c` is submitted at clock.now either way.
bool carry_rate(Carry& c, double rate, const RunClock& clock, double& whole);

// Whole counts of observations since `c` was last submitted, from
// `buckets` (coalesced: sorted by bound, equal bounds summed), appended to
// `out` under `name`; with `distributions` false only the time is kept.
// Returns the buckets left out because their count is not one the Agent
// takes (infinite, or past 2^53).
std::size_t carry_buckets(Carry& c, const std::vector<Bucket>& buckets, const RunClock& clock, bool distributions,
                          const std::string* name, std::vector<CountedBucket>& out);

class CarryTable {
public:
    // The carry of `owner`, made on first use.
    Carry& of(const CarryOwner& owner);

    // Drops the carries not seen for ten collection intervals, and at
    // least kForgetAfter seconds.
    void evict(double now, double collection_interval);
    // Drops the carries not seen at `now`, when they outnumber those seen.
    void prune(double now);
    std::size_t size() const { return carries_.size(); }
    std::size_t bytes() const;

private:
    std::unordered_map<std::uint64_t, Carry> carries_;
};

} // namespace fwm::mapping
