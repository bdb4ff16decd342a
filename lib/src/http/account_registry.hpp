// Process-wide state per Fireworks account: the request log behind the
// rate limit, the Retry-After block of a 429, and the last good responses.
// Shared by every client handle of the account, whatever thread it runs on.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "util/page_allocator.hpp"

namespace fwm::http {

using Clock = std::chrono::steady_clock;

// A response as one collection uses it (inflated), or as the account's
// cache keeps it: the gzip body as it came when the server compressed it
// (a tenth of the size, inflated again only when served), else the body.
struct CachedResponse {
    util::BigString body;
    bool gzipped = false;
    std::size_t inflated_bytes = 0; // the body's size once inflated
    std::string content_type;
    Clock::time_point fetched; // when the server produced it (response end)

    std::size_t size() const { return gzipped ? inflated_bytes : body.size(); }
};

// The cache's storage policy: what an account keeps of a fresh answer that
// `served` (decoded) holds. A gzip answer is kept as it came on the wire, a
// tenth of the size, and inflated again each time it is served; any other
// is kept as served, shared with the collection that fetched it.
std::shared_ptr<const CachedResponse> cache_entry(std::shared_ptr<const CachedResponse> served, util::BigString wire,
                                                  bool gzipped);

class Account {
public:
    static constexpr std::chrono::seconds kWindow{60};
    static constexpr std::size_t kMaxCaches = 8; // distinct endpoint + key pairs kept per account

    enum class Verdict { send, blocked_by_server, over_limit };

    struct Admission {
        Verdict verdict = Verdict::send;
        std::chrono::milliseconds wait{0};           // until a request may go out
        std::shared_ptr<const CachedResponse> cache; // the last good response for the cache key, if any
        std::uint64_t slot = 0;                      // pass to done() when verdict is send
    };

    // Takes a slot in the rolling window when a request may go out now,
    // never more than `limit` in any 60 s. `cache_key` says whose cached
    // response may be served instead (see cache_key_for).
    Admission admit(unsigned limit, Clock::time_point now, const std::string& cache_key);

    // The request of `slot` is over: its slot now counts from `when`. The
    // server saw the request at some moment between admit() and now, so
    // counting from the end keeps the window true by the server's clock too.
    void done(std::uint64_t slot, Clock::time_point when);

    // A 429's Retry-After: nothing goes out for this account until then.
    void block_until(Clock::time_point until);

    // Nothing in the window and no block: forgetting the account loses nothing.
    bool idle(Clock::time_point now) const;

    // The last good response of one endpoint + key pair.
    void store(const std::string& cache_key, std::shared_ptr<const CachedResponse> response);
    std::shared_ptr<const CachedResponse> cached(const std::string& cache_key) const;

    // Handles that use the account. The last one to go drops the cached
    // bodies; the limiter state stays until its window is empty.
    void attach();
    void detach();
    std::size_t cached_bytes() const;

    // Held across fork() so that the child inherits consistent state.
    void lock() { mutex_.lock(); }
    void unlock() { mutex_.unlock(); }
    // In the child of fork(), with the lock held: the parent's requests in
    // flight will never end here; they count from `when`, as if just done.
    void end_inherited_requests(Clock::time_point when);

private:
    mutable std::mutex mutex_;
    struct Sent {
        std::uint64_t slot;
        Clock::time_point at;
        bool done; // an unfinished request keeps its slot, however long it runs
    };
    std::deque<Sent> sent_; // within the last kWindow, oldest first
    std::uint64_t next_slot_ = 1;
    Clock::time_point blocked_until_{};
    std::map<std::string, std::shared_ptr<const CachedResponse>> caches_;
    unsigned handles_ = 0;
};

// The Account for a rate-limit key. An account outlives its handles until
// its window is empty, so a check that is recreated cannot reset the limit.
std::shared_ptr<Account> account_for(const std::string& key);

// The cache key of an endpoint URL (with how it is reached: TLS checks,
// client certificate, proxy) and an API key: a SHA-256, so that only the
// same URL, reached the same way with the same key, is ever served a cached
// response, and the key itself is not kept a second time.
std::string cache_key_for(const std::string& url, const std::string& api_key);

// Accounts in the registry (for the tests of its bounds).
std::size_t account_count();

} // namespace fwm::http
