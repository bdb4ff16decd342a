#include "mapping/carry.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "mapping/prune.hpp"
#include "util/stream_hash.hpp"

namespace fwm::mapping {

namespace {

// A bucket count must fit the Agent's C long long (rtloader's
// submit_histogram_bucket); 2^53 is also the last integer a double holds
// exactly. A larger one is not a count of requests: it is not submitted.
constexpr double kMaxBucketCount = 9007199254740992.0;

// Seconds to count since `c` was last submitted (its first run: the
// clock's first interval), and `c` submitted now.
double elapsed_and_submit(Carry& c, const RunClock& clock)
{
    const double elapsed =
        c.last_submitted > 0 ? std::min(kWindow, clock.now - c.last_submitted) : clock.first_interval;
    c.last_submitted = c.last_seen = clock.now;
    return elapsed;
}

} // namespace

bool carry_rate(Carry& c, double rate, const RunClock& clock, double& whole)
{
    const double elapsed = elapsed_and_submit(c, clock);
    if (c.remainders.empty())
        c.remainders.emplace_back(0.0, 0.0);
    const double total = std::max(0.0, rate) * elapsed + c.remainders[0].second;
    if (!std::isfinite(total)) { // a rate near the largest double overflows its count
        c.remainders[0].second = 0;
        return false;
    }
    whole = std::floor(total);
    c.remainders[0].second = total - whole;
    return true;
}

std::size_t carry_buckets(Carry& c, const std::vector<Bucket>& buckets, const RunClock& clock, bool distributions,
                          const std::string* name, std::vector<CountedBucket>& out)
{
    const double elapsed = elapsed_and_submit(c, clock);
    if (!distributions)
        return 0;
    std::size_t left_out = 0;
    std::vector<std::pair<double, double>> next;
    next.reserve(buckets.size());
    // The first bucket starts at 0, or at its own bound when that is not
    // positive (never an inverted range).
    double previous = 0, lower = 0;
    bool first = true;
    double running = 0;
    std::size_t carry_at = 0; // both lists are sorted by bound: one pass finds each carry
    for (const Bucket& x : buckets) {
        // A missing, NaN or infinite count takes the bucket below: never negative, never infinite.
        const double cumulative = std::isfinite(x.cumulative) ? x.cumulative : running;
        running = std::max(running, cumulative);
        const double rate = std::max(0.0, cumulative - previous); // de-cumulate; a drop counts as 0
        previous = std::max(previous, cumulative);
        if (x.upper == -std::numeric_limits<double>::infinity())
            continue; // le="-Inf": no observation is below every number, and no range to put it in
        if (first)
            lower = std::min(0.0, x.upper);
        first = false;
        while (carry_at < c.remainders.size() && c.remainders[carry_at].first < x.upper)
            ++carry_at;
        const double carried = carry_at < c.remainders.size() && c.remainders[carry_at].first == x.upper
                                   ? c.remainders[carry_at].second
                                   : 0.0;
        const double total = rate * elapsed + carried;
        if (!(total < kMaxBucketCount)) { // infinite, or past what the Agent takes as a count
            ++left_out;
            lower = x.upper;
            continue;
        }
        const double whole = std::floor(total);
        next.emplace_back(x.upper, total - whole);
        if (whole >= 1)
            out.push_back(CountedBucket{name, whole, lower, x.upper});
        lower = x.upper;
    }
    c.remainders = std::move(next);
    return left_out;
}

// ---- the table ------------------------------------------------------------

Carry& CarryTable::of(const CarryOwner& owner)
{
    const std::uint64_t hash = hash_of(owner);
    const auto it = carries_.find(Probe{owner, hash});
    if (it != carries_.end())
        return it->second;
    return carries_.emplace(key_of(owner, hash), Carry{}).first->second;
}

std::uint64_t CarryTable::hash_of(const CarryOwner& owner)
{
    const std::uint64_t identity = owner.identity_hash;
    util::StreamHash h;
    h.add(owner.name);
    h.add(std::string_view(reinterpret_cast<const char*>(&identity), sizeof identity));
    return h.finish();
}

CarryTable::Key CarryTable::key_of(const CarryOwner& owner, std::uint64_t hash)
{
    Key k;
    k.hash = hash;
    k.name_size = static_cast<std::uint32_t>(owner.name.size());
    k.size = static_cast<std::uint32_t>(owner.name.size() + owner.identity.size());
    put_at(k, 0, owner.name);
    put_at(k, k.name_size, owner.identity);
    k.tail = tail_of(owner);
    return k;
}

// Writes into `k`'s head what of `part`, at `at` in the text, falls in it.
void CarryTable::put_at(Key& k, std::size_t at, std::string_view part) noexcept
{
    if (at >= Key::kInline)
        return;
    const std::size_t n = std::min(part.size(), Key::kInline - at);
    if (n > 0)
        std::memcpy(k.head.data() + at, part.data(), n);
}

// The hash of the owner's text past kInline (0 when it all fits), seeded
// apart from the lookup's hash: equal tails then leave two series apart
// only if both hashes collide, with seeds no payload can know.
std::uint64_t CarryTable::tail_of(const CarryOwner& owner) noexcept
{
    if (owner.name.size() + owner.identity.size() <= Key::kInline)
        return 0;
    const util::HashSeed& seed = util::hash_seed();
    util::StreamHash h(util::HashSeed{~seed.a, seed.b ^ 0x9E3779B97F4A7C15ULL});
    if (owner.name.size() > Key::kInline) {
        h.add(owner.name.substr(Key::kInline));
        h.add(owner.identity);
    } else {
        h.add(owner.identity.substr(Key::kInline - owner.name.size()));
    }
    return h.finish();
}

// Whether what of `part`, at `at` in the text, falls in `k`'s head is there.
bool CarryTable::has_at(const Key& k, std::size_t at, std::string_view part) noexcept
{
    if (at >= Key::kInline)
        return true;
    const std::size_t n = std::min(part.size(), Key::kInline - at);
    return n == 0 || std::memcmp(k.head.data() + at, part.data(), n) == 0;
}

// The verification: the stored name and identity are the owner's (past
// kInline, by the tail's hash).
bool CarryTable::holds(const Key& k, const CarryOwner& owner) noexcept
{
    return k.name_size == owner.name.size() && k.size == owner.name.size() + owner.identity.size() &&
           has_at(k, 0, owner.name) && has_at(k, k.name_size, owner.identity) &&
           (k.size <= Key::kInline || k.tail == tail_of(owner));
}

bool CarryTable::same(const Key& a, const Key& b) noexcept
{
    const std::size_t in_head = std::min<std::size_t>(a.size, Key::kInline);
    return a.name_size == b.name_size && a.size == b.size && a.tail == b.tail &&
           std::memcmp(a.head.data(), b.head.data(), in_head) == 0;
}

void CarryTable::evict(double now, double collection_interval)
{
    const double horizon = std::max(kForgetAfter, 10 * collection_interval);
    std::erase_if(carries_, [&](const auto& entry) { return now - entry.second.last_seen > horizon; });
}

void CarryTable::prune(double now)
{
    prune_stale(carries_, [now](const auto& entry) { return entry.second.last_seen == now; });
}

std::size_t CarryTable::bytes() const
{
    std::size_t bytes = carries_.bucket_count() * sizeof(void*);
    for (const auto& [k, c] : carries_)
        bytes += sizeof(k) + sizeof(c) + 2 * sizeof(void*) +
                 c.remainders.capacity() * sizeof(c.remainders[0]);
    return bytes;
}

} // namespace fwm::mapping
