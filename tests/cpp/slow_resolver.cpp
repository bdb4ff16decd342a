// A resolver made slow by the test: this getaddrinfo() is defined in the
// test executable (exported with -rdynamic), so the library's calls reach
// it before the C library's. Names under .fwm-test are answered here,
// after a delay, with 127.0.0.1, and never go to the system resolver:
//   slow.fwm-test         waits FWM_SLOW_DNS_MS (default 3000 ms)
//   wait-<ms>.fwm-test    waits <ms>
// Every other name goes to the real resolver.
#include <dlfcn.h>
#include <netdb.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include "slow_resolver.hpp"

namespace {

using Real = int (*)(const char*, const char*, const addrinfo*, addrinfo**);

std::atomic<unsigned> g_calls{0};
std::atomic<unsigned> g_made_up{0};
std::atomic<std::chrono::steady_clock::rep> g_made_up_at{0}; // when the last made-up lookup began

Real real()
{
    static const Real r = reinterpret_cast<Real>(::dlsym(RTLD_NEXT, "getaddrinfo"));
    return r;
}

long delay_ms(std::string_view host)
{
    if (host == "slow.fwm-test") {
        const char* env = std::getenv("FWM_SLOW_DNS_MS");
        return env ? std::atol(env) : 3000;
    }
    if (host.rfind("wait-", 0) == 0)
        return std::atol(std::string(host.substr(5)).c_str());
    return 0;
}

} // namespace

namespace fwm::test {

unsigned resolver_calls()
{
    return g_calls.load();
}

unsigned made_up_lookups()
{
    return g_made_up.load();
}

std::chrono::steady_clock::time_point last_made_up_lookup_began()
{
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(g_made_up_at.load()));
}

} // namespace fwm::test

extern "C" __attribute__((visibility("default"))) int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res)
{
    g_calls.fetch_add(1);
    const std::string_view host = node ? node : "";
    constexpr std::string_view kSuffix = ".fwm-test";
    if (host.size() > kSuffix.size() && host.substr(host.size() - kSuffix.size()) == kSuffix) {
        g_made_up_at.store(std::chrono::steady_clock::now().time_since_epoch().count());
        g_made_up.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(host)));
        addrinfo numeric{};
        numeric.ai_family = AF_INET;
        numeric.ai_socktype = hints ? hints->ai_socktype : SOCK_STREAM;
        numeric.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
        return real()("127.0.0.1", service, &numeric, res);
    }
    return real()(node, service, hints, res);
}
