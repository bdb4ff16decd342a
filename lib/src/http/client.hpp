// A client handle: one check instance's scraper. collect() blocks the
// calling thread while the shared I/O runtime does the asynchronous work,
// so many handles collect in parallel from many threads.
//
// Lifetime: the asynchronous work holds the handle's state by a shared
// pointer, so collect() may give up on it (deadline, cancel()) and return
// at once; the abandoned work ends by its own deadline and frees the state.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "http/account_registry.hpp"
#include "http/config.hpp"

namespace fwm::http {

struct CollectInfo {
    int status = 0;              // an fwm_status
    std::string message;         // what happened and what to do; never the key; clean text
    unsigned http_status = 0;    // of the last response, 0 if none
    unsigned attempts = 0;       // requests sent in this collection
    double duration_s = 0;
    std::size_t wire_bytes = 0;  // response bytes read from the network
    std::size_t body_bytes = 0;  // the payload, after inflation
    std::string encoding;        // "gzip" or "identity" ("" when nothing was received)
    std::string content_type;
    bool connection_reused = false;
    bool from_cache = false;     // served the last good response instead of asking
    double cache_age_s = -1;
    bool rate_limited = false;   // the local limit or a 429 stopped a request
    double retry_after_s = -1;   // the wait a 429 imposed (Retry-After, capped by max_retry_after)
};

struct Collected {
    CollectInfo info;
    std::shared_ptr<const CachedResponse> payload; // null unless info.status is FWM_OK
};

class Client {
public:
    // Grace over the deadline for the I/O thread to report; past it,
    // collect() returns without waiting (the work is abandoned).
    static constexpr std::chrono::milliseconds kReportMargin{500};

    // Idle kept-alive connections the process keeps, over every handle.
    static constexpr std::size_t kMaxIdleConnections = 16;

    // How long the destructor waits for the I/O thread to let go of the state.
    static constexpr std::chrono::milliseconds kTeardownWait{50};

    // Throws util::OptionError when the configuration cannot be used.
    explicit Client(ClientConfig config);
    ~Client(); // cancels what runs; returns within kTeardownWait
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // One collection: never longer than the configured timeout plus
    // kReportMargin, and FWM_ERR_CANCELLED at once after cancel().
    // Calls on one handle may overlap (each gets its own connection).
    Collected collect();
    // The same for another target (path and query) on the endpoint's origin.
    Collected collect(const std::string& target);

    // The same without blocking: the collection runs on the shared I/O
    // thread; then the body is decoded and `done` is called, once, on the
    // runtime's worker thread (never on the caller's, never inline; in a
    // child of fork() with a handle of the parent, at once with the error),
    // with what collect() would have returned. `done` must not throw. The
    // collection keeps the handle's state alive until then.
    void collect_async(std::string target, std::function<void(Collected)> done);
    // The same as a POST of `post_json` (a REST query; a redirect answering
    // it is a failure, not followed). An empty `post_json` is a GET.
    void collect_async(std::string target, std::string post_json, std::function<void(Collected)> done);

    // Interrupts the running collection, if any, and makes every later
    // collect() return FWM_ERR_CANCELLED. Thread safe; never blocks.
    void cancel() noexcept;

    const ClientConfig& config() const;

    struct State; // shared by the handle and its collections in flight

private:
    std::shared_ptr<State> state_;
};

} // namespace fwm::http
