// What differs between the POSIX hosts and Windows, in one place: the
// process id (how a forked child knows it is one) and the fork handlers
// (Windows has no fork, so nothing to register).
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

namespace fwm::util {

using ProcessId = std::int64_t;

ProcessId process_id() noexcept;

// pthread_atfork() where there is fork(); 0 (success) on Windows.
int at_fork(void (*prepare)(), void (*parent)(), void (*child)()) noexcept;

// Large blocks straight from the system (mmap, VirtualAlloc) and back at
// once: see page_allocator.hpp. Null when refused. Linux maps pages when
// first written; Windows charges the whole block to its commit limit at once.
void* map_pages(std::size_t bytes) noexcept;
void unmap_pages(void* p, std::size_t bytes) noexcept;

// A file named by a UTF-8 path, opened for reading: on Windows through its
// wide-character name (a narrow name there is read in the ANSI code page).
std::ifstream open_for_reading(const std::string& utf8_path, std::ios::openmode mode = std::ios::in);

// `n` bytes from the system's random source; false when it has none (a
// chroot without /dev/urandom).
bool system_random(void* out, std::size_t n) noexcept;

} // namespace fwm::util
