// A client handle: one check instance's scraper. collect() blocks the
// calling thread while the shared I/O runtime does the asynchronous work,
// so many handles collect in parallel from many threads.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "http/account_registry.hpp"
#include "http/config.hpp"

namespace fwm::http {

struct CollectInfo {
    int status = 0;              // an fwm_status
    std::string message;         // what happened and what to do; never the key
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
    double retry_after_s = -1;   // the server's Retry-After, when it gave one
};

struct Collected {
    CollectInfo info;
    std::shared_ptr<const CachedResponse> payload; // null unless info.status is FWM_OK
};

class Client {
public:
    // Throws abi::OptionError when the configuration cannot be used.
    explicit Client(ClientConfig config);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // One collection: never longer than the configured timeout plus a small
    // margin. Calls on one handle are serialised.
    Collected collect();

    const ClientConfig& config() const;

private:
    struct State;
    std::unique_ptr<State> state_;
    std::mutex mutex_;
};

} // namespace fwm::http
