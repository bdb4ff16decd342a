#include "util/platform.hpp"

#ifdef _WIN32
#include <filesystem>
#include <string>

#include <windows.h>
#include <bcrypt.h>
#else
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace fwm::util {

std::ifstream open_for_reading(const std::string& utf8_path, std::ios::openmode mode)
{
#ifdef _WIN32
    const std::u8string name(utf8_path.begin(), utf8_path.end());
    return std::ifstream(std::filesystem::path(name), mode);
#else
    return std::ifstream(utf8_path, mode);
#endif
}

#ifdef _WIN32

ProcessId process_id() noexcept
{
    return static_cast<ProcessId>(::GetCurrentProcessId());
}

int at_fork(void (*)(), void (*)(), void (*)()) noexcept
{
    return 0;
}

void* map_pages(std::size_t bytes) noexcept
{
    // Committed at once (demand-zero pages): charged to the commit limit, touched only when written.
    return ::VirtualAlloc(nullptr, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

void unmap_pages(void* p, std::size_t) noexcept
{
    ::VirtualFree(p, 0, MEM_RELEASE);
}

bool system_random(void* out, std::size_t n) noexcept
{
    return n <= ULONG_MAX && BCRYPT_SUCCESS(::BCryptGenRandom(nullptr, static_cast<PUCHAR>(out), static_cast<ULONG>(n),
                                                              BCRYPT_USE_SYSTEM_PREFERRED_RNG));
}

#else

ProcessId process_id() noexcept
{
    return static_cast<ProcessId>(::getpid());
}

int at_fork(void (*prepare)(), void (*parent)(), void (*child)()) noexcept
{
    return ::pthread_atfork(prepare, parent, child);
}

void* map_pages(std::size_t bytes) noexcept
{
    // Pages are only made resident when written: reserving costs address space, not memory.
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

void unmap_pages(void* p, std::size_t bytes) noexcept
{
    ::munmap(p, bytes);
}

bool system_random(void* out, std::size_t n) noexcept
{
    // /dev/urandom rather than getrandom(): the library loads on glibc 2.17.
    const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::read(fd, static_cast<char*>(out) + got, n - got);
        if (r <= 0)
            break;
        got += static_cast<std::size_t>(r);
    }
    ::close(fd);
    return got == n;
}

#endif

} // namespace fwm::util
