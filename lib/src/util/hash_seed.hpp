// The process's secret seed for the hashes of payload strings (series,
// label sets, carries). The payload is written by someone else: with a
// known seed, label values can be crafted so that many series share a
// hash, turning table lookups quadratic or two series' carried state into
// one. With a random one they cannot be, and equal hashes stay as rare as
// chance makes them.
#pragma once

#include <cstdint>

namespace fwm::util {

struct HashSeed {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
};

// Random, drawn once per process (from /dev/urandom), fixed for its life.
const HashSeed& hash_seed() noexcept;

// Tests only, before anything is hashed: a known seed, to replay a crafted
// collision through the code that must survive one.
void override_hash_seed_for_tests(HashSeed seed) noexcept;

} // namespace fwm::util
