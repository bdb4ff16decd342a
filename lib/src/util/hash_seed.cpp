#include "util/hash_seed.hpp"

#include "util/stream_hash.hpp"

#include <chrono>

#include "util/platform.hpp"

namespace fwm::util {
namespace {

HashSeed draw() noexcept
{
    HashSeed seed;
    std::uint64_t words[2] = {0, 0};
    if (system_random(words, sizeof words)) {
        seed.a = words[0];
        seed.b = words[1];
        return seed;
    }
    // No random source (a chroot without /dev/urandom): what differs between processes and runs.
    const auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    const auto wall = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    seed.a = mix(now ^ (static_cast<std::uint64_t>(process_id()) << 32) ^ reinterpret_cast<std::uintptr_t>(&seed));
    seed.b = mix(wall + seed.a + reinterpret_cast<std::uintptr_t>(&draw));
    return seed;
}

HashSeed& storage() noexcept
{
    static HashSeed seed = draw();
    return seed;
}

} // namespace

const HashSeed& hash_seed() noexcept
{
    return storage();
}

void override_hash_seed_for_tests(HashSeed seed) noexcept
{
    storage() = seed;
}

} // namespace fwm::util
