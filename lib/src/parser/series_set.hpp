// Finds repeated series (same name and label set, in any label order) with
// one hash per sample and a full comparison only when hashes collide.
#pragma once

#include <cstdint>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "parser/parser.hpp"

namespace fwm::parser {

// A series is its name and its set of labels; a label with an empty value
// is no label (as in Prometheus), so x{a=""} and x are one series.

// The series hash of a sample of `r`: its name and non-empty labels in name order.
std::uint64_t series_hash(const ParseResult& r, const Sample& s) noexcept;

// Whether sample `a` of `ra` and sample `b` of `rb` are the same series.
bool same_series(const ParseResult& ra, const Sample& a, const ParseResult& rb, const Sample& b) noexcept;

// The samples of a parse, as a set of series: a sample's key is its index,
// hashed by its series_hash() and equal to another when same_series().
class SeriesSet {
public:
    // `hashes[i]` is series_hash(r, r.samples[i]); both outlive the set.
    SeriesSet(const ParseResult& r, const std::uint64_t* hashes, std::size_t series);

    // Adds r.samples[index]; returns the index of an earlier sample with the
    // same series, or kNone when it is new.
    std::uint32_t insert(std::uint32_t index);

    static constexpr std::uint32_t kNone = UINT32_MAX;

private:
    struct Hash {
        using is_avalanching = void; // series_hash() is a full 64-bit mix: no rehashing
        const std::uint64_t* hashes;
        std::size_t operator()(std::uint32_t i) const noexcept { return hashes[i]; }
    };
    struct Equal {
        const ParseResult* r;
        const std::uint64_t* hashes;
        bool operator()(std::uint32_t a, std::uint32_t b) const noexcept
        {
            return hashes[a] == hashes[b] && same_series(*r, r->samples[a], *r, r->samples[b]);
        }
    };

    boost::unordered_flat_set<std::uint32_t, Hash, Equal> set_;
};

} // namespace fwm::parser
