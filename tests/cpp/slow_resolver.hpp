// The test's own getaddrinfo() (slow_resolver.cpp): counts what reaches it.
#pragma once

namespace fwm::test {

// getaddrinfo() calls made in this process, by anyone.
unsigned resolver_calls();
// Of those, lookups of made-up .fwm-test names (answered without the system resolver).
unsigned made_up_lookups();

} // namespace fwm::test
