#include "http/resolve.hpp"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netdb.h>
#include <sys/socket.h>
#endif

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "util/platform.hpp"

namespace fwm::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One lookup, shared by its thread and every collection waiting for it.
struct Lookup {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::mutex mutex;
    bool done = false;
    int gai_error = 0;
    int sys_errno = 0;
    std::vector<tcp::endpoint> endpoints;
    std::vector<asio::steady_timer*> waiters; // I/O thread only: the timers of the collections waiting
};

// Lookups in flight, by host name: a second collection for the same name
// waits for the same lookup instead of starting another thread.
struct Flights {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<Lookup>> by_name;
};

Flights& flights()
{
    static Flights& f = *new Flights(); // never destroyed: lookup threads may outlive exit's destructors
    return f;
}

// getaddrinfo() takes locks of the C library's own that fork() does not
// reset: with more than one address, glibc sorts them under __check_pf's
// lock while it asks the kernel, and it reads resolv.conf under another. A
// child forked while a lookup thread held one waits for good at its first
// lookup. So calls pass a gate that a fork closes: new calls wait, calls in
// progress are given a short while to end, and only then is the process
// copied. A lookup still running after that (a resolver that hangs) marks
// the child, which then says why its lookups fail.
struct CallGate {
    std::mutex mutex;
    // A pointer: the child of a fork gets a new one, since the old one's
    // state may count waiters (threads of the parent) that do not exist
    // there, which would hold up its broadcasts for good.
    std::condition_variable* changed = new std::condition_variable();
    unsigned in_calls = 0;
    bool forking = false;
};

CallGate& gate()
{
    static CallGate& g = *new CallGate(); // never destroyed, like the flights
    return g;
}

// Long enough for a resolver that answers (milliseconds); one that hangs
// costs every fork this, for as long as its lookups run.
constexpr auto kForkWaitsForLookups = std::chrono::seconds(1);

void enter_gate()
{
    CallGate& g = gate();
    std::unique_lock lock(g.mutex);
    g.changed->wait(lock, [&] { return !g.forking; });
    ++g.in_calls;
}

void leave_gate()
{
    CallGate& g = gate();
    std::lock_guard lock(g.mutex); // notified under the lock: no broadcast is under way when a fork copies the process
    --g.in_calls;
    g.changed->notify_all();
}

// Set in a child of fork() taken while getaddrinfo() ran in another thread:
// the C library's resolver may be locked here for good.
std::atomic<bool> g_forked_during_lookup{false};
constexpr auto kStuck = std::chrono::seconds(5);
constexpr const char* kForkedDuringLookup =
    "this process was forked while a DNS lookup ran in its parent, which can leave the C library's resolver "
    "locked here: restart the process, or use an IP address in openmetrics_endpoint";

void lock_lookups_for_fork()
{
    CallGate& g = gate();
    std::unique_lock lock(g.mutex);
    g.forking = true;
    g.changed->wait_for(lock, kForkWaitsForLookups, [&] { return g.in_calls == 0; });
    lock.release(); // held across the fork: no call starts or ends meanwhile
    flights().mutex.lock();
}

void unlock_lookups_in_parent()
{
    flights().mutex.unlock();
    CallGate& g = gate();
    g.forking = false;
    g.changed->notify_all();
    g.mutex.unlock();
}

void forget_lookups_in_child()
{
    // The parent's lookup threads do not exist here: their lookups never end.
    Flights& f = flights();
    new std::map<std::string, std::shared_ptr<Lookup>>(std::move(f.by_name)); // left, never freed nor waited on
    f.by_name.clear();
    f.mutex.unlock();
    CallGate& g = gate();
    if (g.in_calls > 0)
        g_forked_during_lookup.store(true);
    g.in_calls = 0;
    g.forking = false;
    g.changed = new std::condition_variable(); // the old one is left, never used again
    g.mutex.unlock(); // a plain mutex: the child's thread may unlock what its parent thread locked
}

// What the resolver said, in words.
std::string lookup_error_text(int gai_error, int sys_errno)
{
#ifdef _WIN32
    (void)sys_errno;
    return boost::system::system_category().message(gai_error); // a Winsock error code; UTF-8 (BOOST_SYSTEM_USE_UTF8)
#else
    return gai_error == EAI_SYSTEM ? std::strerror(sys_errno) : ::gai_strerror(gai_error);
#endif
}

void run_lookup(std::shared_ptr<Lookup> lookup, std::shared_ptr<Runtime> runtime, std::string host)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    // No AI_ADDRCONFIG: glibc then asks the kernel for the host's addresses
    // under a lock of its own (__check_pf), and a fork() while one thread
    // holds it leaves every lookup in the child waiting for good. Without
    // it, an AAAA answer on an IPv4-only host costs a failed connect, and
    // the next address is tried.
    addrinfo* list = nullptr;
    enter_gate();
    const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list); // the port is each caller's
    const int err = errno;
    leave_gate();
    std::vector<tcp::endpoint> endpoints;
    for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
        if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
            continue;
        tcp::endpoint ep;
        std::memcpy(ep.data(), a->ai_addr, a->ai_addrlen);
        endpoints.push_back(ep);
    }
    if (list)
        ::freeaddrinfo(list);
    {
        Flights& f = flights();
        std::lock_guard lock(f.mutex);
        auto it = f.by_name.find(host);
        if (it != f.by_name.end() && it->second == lookup)
            f.by_name.erase(it);
    }
    {
        std::lock_guard lock(lookup->mutex);
        lookup->done = true;
        lookup->gai_error = rc;
        lookup->sys_errno = err;
        lookup->endpoints = std::move(endpoints);
    }
    // Wake whoever still waits. The runtime held here keeps the context
    // alive for this post.
    asio::post(runtime->context(), [lookup] {
        for (asio::steady_timer* t : lookup->waiters)
            t->cancel();
    });
}

// The lookup of `host`: one in flight, or a new one on a thread of its own.
// Null with `refused` set when too many are in flight already.
std::shared_ptr<Lookup> join_or_start(const std::shared_ptr<Runtime>& runtime, const std::string& host,
                                      std::string& refused)
{
    static const int registered =
        util::at_fork(lock_lookups_for_fork, unlock_lookups_in_parent, forget_lookups_in_child);
    (void)registered;
    Flights& f = flights();
    std::lock_guard lock(f.mutex);
    if (auto it = f.by_name.find(host); it != f.by_name.end()) {
        // In a child of a fork taken during a lookup, one that has run this
        // long is stuck on a lock nobody will release: say so at once.
        if (g_forked_during_lookup.load() && std::chrono::steady_clock::now() - it->second->started > kStuck) {
            refused = kForkedDuringLookup;
            return nullptr;
        }
        return it->second;
    }
    if (f.by_name.size() >= kMaxLookupsInFlight) {
        refused = std::to_string(kMaxLookupsInFlight) +
                  " DNS lookups of other names are already waiting for an answer in this process: the resolver "
                  "is not answering";
        return nullptr;
    }
    auto lookup = std::make_shared<Lookup>();
    try {
        std::thread(run_lookup, lookup, runtime, host).detach();
    } catch (const std::exception&) {
        refused = "no thread could be started for the DNS lookup";
        return nullptr;
    }
    f.by_name.emplace(host, lookup);
    return lookup;
}

} // namespace

unsigned lookups_in_flight()
{
    Flights& f = flights();
    std::lock_guard lock(f.mutex);
    return static_cast<unsigned>(f.by_name.size());
}

asio::awaitable<Resolved> resolve(std::shared_ptr<Runtime> runtime, std::string host, unsigned short port,
                                  std::chrono::steady_clock::time_point deadline, Interrupt& interrupt)
{
    Resolved out;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (!ec) {
        out.endpoints.emplace_back(address, port);
        co_return out;
    }

    const auto lookup = join_or_start(runtime, host, out.detail);
    if (!lookup) {
        out.ec = asio::error::host_not_found_try_again;
        co_return out;
    }

    asio::steady_timer timer(runtime->context());
    timer.expires_at(deadline);
    lookup->waiters.push_back(&timer);
    interrupt.timer = &timer;
    bool finished;
    {
        std::lock_guard lock(lookup->mutex);
        finished = lookup->done;
    }
    if (!finished && !interrupt.requested)
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    std::erase(lookup->waiters, &timer);
    interrupt.timer = nullptr;

    std::lock_guard lock(lookup->mutex);
    if (interrupt.requested) {
        out.ec = asio::error::operation_aborted;
    } else if (!lookup->done) {
        out.ec = asio::error::timed_out; // the thread goes on; its answer serves whoever asks next meanwhile
        if (g_forked_during_lookup.load())
            out.detail = kForkedDuringLookup;
    } else if (lookup->gai_error != 0) {
        const int e = lookup->gai_error;
        out.ec = e == EAI_NONAME || e == EAI_NODATA || e == EAI_FAIL ? asio::error::host_not_found
                                                                     : asio::error::host_not_found_try_again;
        if (e != EAI_NONAME && e != EAI_NODATA)
            out.detail = lookup_error_text(e, lookup->sys_errno);
    } else if (lookup->endpoints.empty()) {
        out.ec = asio::error::host_not_found;
    } else {
        out.endpoints = lookup->endpoints; // others may share this answer: each sets its own port
        for (auto& ep : out.endpoints)
            ep.port(port);
    }
    co_return out;
}

} // namespace fwm::http
