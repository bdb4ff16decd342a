// Detects repeated series (same name and label set, in any label order) with
// one hash per sample and a full comparison only when hashes collide.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "parser/parser.hpp"

namespace fwm::parser {

// The series hash of samples[index]: name and labels in name order.
std::uint64_t series_hash(const ParseResult& r, const Sample& s) noexcept;

class SeriesSet {
public:
    // Room for `series` entries without growing; `r` re-hashes what is in.
    void reserve(const ParseResult& r, std::size_t series);

    // Warms the cache line a later insert() of this hash will touch.
    void prefetch(std::uint64_t hash) const noexcept
    {
        if (!slots_.empty())
            __builtin_prefetch(&slots_[static_cast<std::uint32_t>(hash) & (slots_.size() - 1)]);
    }

    // Adds samples[index] with its series_hash(); returns the index of an
    // earlier sample with the same series, or kNone when it is new.
    std::uint32_t insert(const ParseResult& r, std::uint32_t index, std::uint64_t hash);

    static constexpr std::uint32_t kNone = UINT32_MAX;

private:
    // 8 bytes, so that the table of a 25 MB payload stays cache-sized: the
    // low hash bits pick the slot, the high 32 are kept to filter matches.
    struct Slot {
        std::uint32_t tag = 0;
        std::uint32_t sample = kNone;
    };

    std::vector<Slot> slots_;
    std::size_t used_ = 0;
};

} // namespace fwm::parser
