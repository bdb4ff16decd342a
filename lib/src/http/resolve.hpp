// Name resolution that cannot hold anyone up. getaddrinfo() cannot be
// cancelled, and Asio's resolver runs every lookup of an io_context on one
// background thread, so one slow DNS answer would delay every check in the
// Agent. Here each lookup runs on a thread of its own; collections that
// need the same name meanwhile share it; each waits until its own deadline,
// then leaves it behind. IP literals need no lookup.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "http/interrupt.hpp"
#include "http/runtime.hpp"

namespace fwm::http {

struct Resolved {
    boost::system::error_code ec; // host_not_found, timed_out, operation_aborted, ...
    std::string detail;           // a sentence when ec alone says too little
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
};

// Distinct names being looked up at once, process-wide: past it (a resolver
// that stopped answering), a lookup of yet another name fails at once.
inline constexpr unsigned kMaxLookupsInFlight = 64;

boost::asio::awaitable<Resolved> resolve(std::shared_ptr<Runtime> runtime, std::string host, unsigned short port,
                                         std::chrono::steady_clock::time_point deadline, Interrupt& interrupt);

// Distinct names whose lookup has not returned yet (for the tests).
unsigned lookups_in_flight();

} // namespace fwm::http
