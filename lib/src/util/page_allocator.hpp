// An allocator that maps large blocks straight from the kernel (mmap) and
// returns them at once (munmap), for the few buffers as large as a payload:
// the response body and the parse's arrays. Through malloc, glibc would
// raise its mmap threshold after the first such free and then keep every
// later payload-sized block on its heap, so the Agent's process would stay
// at its peak between runs and reach a higher one on the next run.
// Smaller blocks (a payload of a few hundred deployments) stay with malloc,
// which reuses its heap from run to run: fresh pages each run would cost
// their page faults, more than a tenth of such a run's CPU.
#pragma once

#include <cstddef>
#include <new>
#include <string>

#include "util/platform.hpp"

namespace fwm::util {

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer every block goes through its allocator, which
// checks them; the pages are not the point there.
inline constexpr std::size_t kPageAllocatorThreshold = static_cast<std::size_t>(-1);
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr std::size_t kPageAllocatorThreshold = static_cast<std::size_t>(-1);
#else
inline constexpr std::size_t kPageAllocatorThreshold = 4u << 20;
#endif
#else
inline constexpr std::size_t kPageAllocatorThreshold = 4u << 20;
#endif

template <class T>
struct PageAllocator {
    using value_type = T;

    PageAllocator() noexcept = default;
    template <class U>
    PageAllocator(const PageAllocator<U>&) noexcept
    {
    }

    T* allocate(std::size_t n)
    {
        if (n > static_cast<std::size_t>(-1) / sizeof(T))
            throw std::bad_array_new_length();
        const std::size_t bytes = n * sizeof(T);
        if (bytes < kPageAllocatorThreshold)
            return static_cast<T*>(::operator new(bytes));
        void* p = map_pages(bytes);
        if (p == nullptr)
            throw std::bad_alloc();
        return static_cast<T*>(p);
    }

    void deallocate(T* p, std::size_t n) noexcept
    {
        const std::size_t bytes = n * sizeof(T);
        if (bytes < kPageAllocatorThreshold)
            ::operator delete(p);
        else
            unmap_pages(p, bytes);
    }

    template <class U>
    bool operator==(const PageAllocator<U>&) const noexcept
    {
        return true;
    }
};

// A payload-sized string.
using BigString = std::basic_string<char, std::char_traits<char>, PageAllocator<char>>;

} // namespace fwm::util
