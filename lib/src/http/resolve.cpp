#include "http/resolve.hpp"

#include <netdb.h>
#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace fwm::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::atomic<unsigned> g_in_flight{0};

void forget_lookups_in_child()
{
    g_in_flight.store(0); // the parent's lookup threads do not exist here
}

// One lookup, shared by its thread and the waiting coroutine.
struct Lookup {
    std::mutex mutex;
    bool done = false;
    int gai_error = 0;
    int sys_errno = 0;
    std::vector<tcp::endpoint> endpoints;
    asio::steady_timer* waiter = nullptr; // I/O thread only: the coroutine's timer while it waits
};

void run_lookup(std::shared_ptr<Lookup> lookup, std::shared_ptr<Runtime> runtime, std::string host,
                unsigned short port)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    const int err = errno;
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
        std::lock_guard lock(lookup->mutex);
        lookup->done = true;
        lookup->gai_error = rc;
        lookup->sys_errno = err;
        lookup->endpoints = std::move(endpoints);
    }
    // Wake the coroutine if it still waits. The runtime held here keeps
    // the context alive for this post.
    asio::post(runtime->context(), [lookup] {
        if (lookup->waiter)
            lookup->waiter->cancel();
    });
    g_in_flight.fetch_sub(1);
}

} // namespace

unsigned lookups_in_flight()
{
    return g_in_flight.load();
}

asio::awaitable<Resolved> resolve(std::shared_ptr<Runtime> runtime, std::string host, unsigned short port,
                                  std::chrono::steady_clock::time_point deadline, Interrupt& interrupt)
{
    static const int registered = pthread_atfork(nullptr, nullptr, forget_lookups_in_child);
    (void)registered;
    Resolved out;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (!ec) {
        out.endpoints.emplace_back(address, port);
        co_return out;
    }

    if (g_in_flight.fetch_add(1) >= kMaxLookupsInFlight) {
        g_in_flight.fetch_sub(1);
        out.ec = asio::error::host_not_found_try_again;
        out.detail = std::to_string(kMaxLookupsInFlight) +
                     " DNS lookups are already waiting for an answer in this process: the resolver is not answering";
        co_return out;
    }
    auto lookup = std::make_shared<Lookup>();
    try {
        std::thread(run_lookup, lookup, runtime, host, port).detach();
    } catch (const std::exception&) {
        g_in_flight.fetch_sub(1);
        out.ec = asio::error::no_memory;
        out.detail = "no thread could be started for the DNS lookup";
        co_return out;
    }

    asio::steady_timer timer(runtime->context());
    timer.expires_at(deadline);
    lookup->waiter = &timer;
    interrupt.timer = &timer;
    bool finished;
    {
        std::lock_guard lock(lookup->mutex);
        finished = lookup->done;
    }
    if (!finished && !interrupt.requested)
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    lookup->waiter = nullptr;
    interrupt.timer = nullptr;

    std::lock_guard lock(lookup->mutex);
    if (interrupt.requested) {
        out.ec = asio::error::operation_aborted;
    } else if (!lookup->done) {
        out.ec = asio::error::timed_out; // the thread goes on; its answer will be dropped
    } else if (lookup->gai_error != 0) {
        const int e = lookup->gai_error;
        out.ec = e == EAI_AGAIN ? asio::error::host_not_found_try_again
                 : e == EAI_NONAME || e == EAI_NODATA || e == EAI_FAIL ? asio::error::host_not_found
                                                                       : asio::error::host_not_found_try_again;
        if (e != EAI_NONAME && e != EAI_NODATA)
            out.detail = e == EAI_SYSTEM ? std::strerror(lookup->sys_errno) : ::gai_strerror(e);
    } else if (lookup->endpoints.empty()) {
        out.ec = asio::error::host_not_found;
    } else {
        out.endpoints = std::move(lookup->endpoints);
    }
    co_return out;
}

} // namespace fwm::http
