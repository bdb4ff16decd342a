#include "util/hash_seed.hpp"

#include "util/stream_hash.hpp"

#include <chrono>
#include <fcntl.h>
#include <unistd.h>

namespace fwm::util {
namespace {

HashSeed draw() noexcept
{
    HashSeed seed;
    // /dev/urandom rather than getrandom(): the library loads on glibc 2.17.
    const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        std::uint64_t words[2] = {0, 0};
        ssize_t got = 0;
        while (got < static_cast<ssize_t>(sizeof words)) {
            const ssize_t n = ::read(fd, reinterpret_cast<char*>(words) + got, sizeof words - static_cast<std::size_t>(got));
            if (n <= 0)
                break;
            got += n;
        }
        ::close(fd);
        if (got == static_cast<ssize_t>(sizeof words)) {
            seed.a = words[0];
            seed.b = words[1];
            return seed;
        }
    }
    // No /dev/urandom (a chroot): what differs between processes and runs.
    const auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    const auto wall = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    seed.a = mix(now ^ (static_cast<std::uint64_t>(::getpid()) << 32) ^ reinterpret_cast<std::uintptr_t>(&seed));
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
