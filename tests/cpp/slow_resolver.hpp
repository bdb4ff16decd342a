// The test's own getaddrinfo() (slow_resolver.cpp): counts what reaches it.
#pragma once

#include <chrono>

namespace fwm::test {

// getaddrinfo() calls made in this process, by anyone.
unsigned resolver_calls();
// Of those, lookups of made-up .fwm-test names (answered without the system resolver).
unsigned made_up_lookups();
// When the last of those began.
std::chrono::steady_clock::time_point last_made_up_lookup_began();

} // namespace fwm::test
