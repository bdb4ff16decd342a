// Detects repeated series (same name and label set, in any label order) with
// one hash per sample and a full comparison only when hashes collide.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "parser/parser.hpp"

namespace fwm::parser {

std::uint64_t hash_bytes(std::string_view s) noexcept;

class SeriesSet {
public:
    void reserve(std::size_t series);

    // Adds samples[index]; returns the index of an earlier sample with the
    // same series, or kNone when it is new.
    std::uint32_t insert(const ParseResult& r, std::uint32_t index);

    static constexpr std::uint32_t kNone = UINT32_MAX;

private:
    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t sample = kNone;
    };
    void grow();

    std::vector<Slot> slots_;
    std::size_t used_ = 0;
};

} // namespace fwm::parser
