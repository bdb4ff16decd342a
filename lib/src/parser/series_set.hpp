// Finds repeated series (same name and label set, in any label order) with
// one hash per sample and a full comparison only when hashes collide.
#pragma once

#include <cstdint>
#include <vector>

#include "parser/parser.hpp"

namespace fwm::parser {

// A series is its name and its set of labels; a label with an empty value
// is no label (as in Prometheus), so x{a=""} and x are one series.

// The series hash of a sample of `r`: its name and non-empty labels in name order.
std::uint64_t series_hash(const ParseResult& r, const Sample& s) noexcept;

// Whether sample `a` of `ra` and sample `b` of `rb` are the same series.
bool same_series(const ParseResult& ra, const Sample& a, const ParseResult& rb, const Sample& b) noexcept;

// An open-addressing set sized once for a known number of series.
class SeriesSet {
public:
    explicit SeriesSet(std::size_t series);

    // Warms the cache line a later insert() of this hash will touch.
    void prefetch(std::uint64_t hash) const noexcept
    {
        __builtin_prefetch(&slots_[static_cast<std::uint32_t>(hash) & mask_]);
    }

    // Adds r.samples[index] with its series_hash(); returns the index of an
    // earlier sample with the same series, or kNone when it is new.
    std::uint32_t insert(const ParseResult& r, std::uint32_t index, std::uint64_t hash);

    static constexpr std::uint32_t kNone = UINT32_MAX;

private:
    // 8 bytes, so that the table of a 25 MB payload stays cache-sized: the
    // low hash bits pick the slot, the high 32 filter the full comparisons.
    struct Slot {
        std::uint32_t tag = 0;
        std::uint32_t sample = kNone;
    };

    std::vector<Slot> slots_;
    std::size_t mask_;
};

} // namespace fwm::parser
