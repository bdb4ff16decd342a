// A fast 64-bit hash over a stream of strings, for hash tables keyed by
// series and label sets, seeded with the process's secret seed so that a
// payload cannot be written to make its series collide (hash_seed.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "util/hash_seed.hpp"

namespace fwm::util {

inline std::uint64_t load64(const char* p) noexcept
{
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

inline std::uint32_t load32(const char* p) noexcept
{
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

inline std::uint64_t mix(std::uint64_t x) noexcept
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

// Two independent multiply lanes over a stream of strings: every step is a
// bijection of the lane state, so no input bit is lost before the final mix,
// and the two lanes keep the dependency chain short. The lanes start from
// the seed, which no one outside the process knows.
class StreamHash {
public:
    StreamHash() noexcept
        : StreamHash(hash_seed())
    {
    }
    explicit StreamHash(const HashSeed& seed) noexcept
        : a_(0x243F6A8885A308D3ULL ^ seed.a)
        , b_(0x13198A2E03707344ULL ^ seed.b)
    {
    }

    void add(std::string_view s) noexcept
    {
        const char* p = s.data();
        std::size_t n = s.size();
        while (n > 16) {
            a_ = (a_ ^ load64(p)) * kA;
            b_ = (b_ ^ load64(p + 8)) * kB;
            p += 16;
            n -= 16;
        }
        std::uint64_t x = 0, y = 0;
        if (n >= 8) {
            x = load64(p);
            y = load64(p + n - 8);
        } else if (n >= 4) {
            x = load32(p);
            y = load32(p + n - 4);
        } else if (n > 0) {
            x = static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16 |
                static_cast<std::uint64_t>(static_cast<unsigned char>(p[n >> 1])) << 8 |
                static_cast<unsigned char>(p[n - 1]);
        }
        // The length closes the string, so "ab"+"c" differs from "a"+"bc".
        a_ = (a_ ^ x ^ (s.size() << 56)) * kA;
        b_ = (b_ ^ y ^ s.size()) * kB;
    }

    std::uint64_t finish() const noexcept { return mix(a_ ^ (b_ >> 1) ^ (b_ << 63)); }

private:
    static constexpr std::uint64_t kA = 0x9E3779B97F4A7C15ULL;
    static constexpr std::uint64_t kB = 0xC2B2AE3D27D4EB4FULL;
    std::uint64_t a_;
    std::uint64_t b_;
};

// Hashes a key that is already a StreamHash value, for Boost's flat tables:
// the value is a full 64-bit mix, so the table need not mix it again.
struct Prehashed {
    using is_avalanching = void;
    std::size_t operator()(std::uint64_t key) const noexcept { return static_cast<std::size_t>(key); }
};

} // namespace fwm::util
