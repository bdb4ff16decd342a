// Step 4 of a run, carry: what a series submitted as counts keeps between
// runs. A rate becomes a whole count of events since the series was last
// submitted, a histogram's cumulative buckets whole counts of observations
// since then; the fractions wait for the next run.
//
// A carry belongs to one series: one Datadog name submitted with one set of
// tags. Its hash only finds it: the name and tags are stored with it and
// compared, so two series whose hashes collide (by chance, or by a payload
// crafted against a known seed) never share a carry. Past its first 240
// bytes the text is kept as a second hash, seeded apart from the first, so
// that a carry's size is bounded whatever the labels' length (they may be
// megabytes, and carries outlive their series for ten minutes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
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
    std::string_view identity;   // its tags as one text (Grouper::text): equal exactly when the tags are
    std::uint64_t identity_hash; // their hash (Grouper::hash)
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
    // The owner's name, then its identity's text. Most texts fit in the
    // node itself (a Fireworks series' tags are a few hundred bytes): the
    // verification then reads the lines the lookup has just brought in.
    // A longer text's end is kept as its hash (tail_of).
    struct Key {
        static constexpr std::size_t kInline = 240;
        std::uint64_t hash = 0;
        std::uint32_t name_size = 0;
        std::uint32_t size = 0;
        std::array<char, kInline> head{}; // the text's first bytes
        std::uint64_t tail = 0;           // the rest's hash, past kInline
    };
    struct Probe {
        const CarryOwner& owner;
        std::uint64_t hash;
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(const Key& k) const noexcept { return k.hash; }
        std::size_t operator()(const Probe& p) const noexcept { return p.hash; }
    };
    struct Equal {
        using is_transparent = void;
        bool operator()(const Key& a, const Key& b) const noexcept { return a.hash == b.hash && same(a, b); }
        bool operator()(const Key& k, const Probe& p) const noexcept { return k.hash == p.hash && holds(k, p.owner); }
        bool operator()(const Probe& p, const Key& k) const noexcept { return (*this)(k, p); }
    };

    static std::uint64_t hash_of(const CarryOwner& owner);
    static Key key_of(const CarryOwner& owner, std::uint64_t hash);
    static bool holds(const Key& k, const CarryOwner& owner) noexcept;
    static bool same(const Key& a, const Key& b) noexcept;
    static bool has_at(const Key& k, std::size_t at, std::string_view part) noexcept;
    static void put_at(Key& k, std::size_t at, std::string_view part) noexcept;
    static std::uint64_t tail_of(const CarryOwner& owner) noexcept;

    std::unordered_map<Key, Carry, Hash, Equal> carries_;
};

} // namespace fwm::mapping
