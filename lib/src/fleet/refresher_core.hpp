// The refresher's private parts, shared by its files: the state one
// account's refreshes hold (Refresher::Core), how a REST call is made and
// recorded, and the pacing constants. refresher.cpp has the refresher's
// life and its sharing; refresh_inventory.cpp, refresh_usage.cpp,
// refresh_capacity.cpp and refresh_costs.cpp one kind of refresh each.
#pragma once

#include "fleet/refresher.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <stdexcept>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fleet/api_target.hpp"
#include "fleet/rfc3339.hpp"
#include "fwm/fwm.h"
#include "http/account_registry.hpp"
#include "http/await.hpp"
#include "http/client.hpp"
#include "http/runtime.hpp"
#include "util/text.hpp"

namespace fwm::fleet {

namespace asio = boost::asio;

namespace refreshing {

using SteadyClock = std::chrono::steady_clock;

// A failed refresh is tried again sooner than the interval, but not in a loop,
// and not before a 429's Retry-After has passed.
constexpr std::chrono::seconds kRetryAfterFailure{60};

// A failed refresh's wait, or `interval` after a good one.
std::chrono::steady_clock::duration next_after(int status, std::chrono::seconds interval, double retry_after_s);

constexpr std::size_t kPageSize = 200; // the API's maximum

double wall_now();

// A listing's page, of the API's largest size: the first, or the one `token` names.
std::string page_target(const std::string& account, const char* listing, const std::string& token);

// Records how an attempt ended.
void finish(Attempt& a, int status, std::string message, double started, unsigned requests, double retry_after_s);

// What a failed request says: the API, its path and the option that sets
// where it goes (never the key, never the query).
std::string failed_call(const char* doing, const std::string& target, const http::Url& api, const std::string& why,
                        const char* method = "GET");

// A capacity reading that could not list the quotas keeps the last listing, with its time.
void keep_quotas(Capacity& c, const Capacity& last);

void merge(Problems& into, Problems&& from);

using http::kAwait;

// A GET's outcome with the answer read.
template <class T>
struct Answer {
    http::CollectInfo info;
    std::optional<T> value; // when info.status is FWM_OK and the answer could be read
    std::string error;      // why it could not be
};

// One request on the API client (a POST of `post_json` when it is not
// empty). The answer is decoded and read by `read` on the runtime's worker
// thread, never on the I/O thread that every instance's scrapes share; the
// coroutine resumes on its own executor.
template <class T, class Read>
asio::awaitable<Answer<T>> fetch(http::Client& client, std::string target, std::string post_json, Read read)
{
    auto initiate = [&client, target = std::move(target), post_json = std::move(post_json),
                     read = std::move(read)](auto handler) mutable {
        // The handler moves only; collect_async's callback is copied.
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        client.collect_async(std::move(target), std::move(post_json), [h, read](http::Collected got) {
            Answer<T> a;
            a.info = std::move(got.info);
            if (a.info.status == FWM_OK && got.payload) {
                try {
                    a.value.emplace(read(std::string_view(got.payload->body.data(), got.payload->body.size())));
                } catch (const std::runtime_error& e) {
                    a.error = e.what();
                } catch (const std::bad_alloc&) {
                    a.error = "out of memory reading the answer";
                }
            }
            got.payload.reset(); // the body goes here, on the worker
            const auto executor = asio::get_associated_executor(*h);
            asio::post(executor, [h, a = std::move(a)]() mutable { std::move(*h)(std::move(a)); });
        });
    };
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Answer<T>)>(std::move(initiate),
                                                                                           asio::use_awaitable);
}

template <class T, class Read>
asio::awaitable<Answer<T>> fetch(http::Client& client, std::string target, Read read)
{
    co_return co_await fetch<T>(client, std::move(target), std::string(), std::move(read));
}

// The kinds of refresh, each on its own timer.
enum Kind : std::size_t { kInventory, kUsage, kCapacity, kCosts, kKinds };

inline const char* const kFailedUnexpectedly[kKinds] = {
    "listing deployments failed unexpectedly", "reading billing usage failed unexpectedly",
    "reading the account and its quotas failed unexpectedly", "reading the costs failed unexpectedly"};

// While the account is held to 10 requests a minute: the account (what
// says when that ends) is read every kSlowedAccount at most, alone (its
// quotas keep their last reading), and every other request waits for a
// slot, FleetOptions::slowed_spacing apart (20 s) after a burst of
// kSlowedBurst: 2 + 3 requests a minute, 8 in the worst minute, however
// many pages a refresh has.
constexpr std::chrono::seconds kSlowedAccount{30};
constexpr unsigned kSlowedBurst = 3;

// The outcome of one call of a refresh that makes several.
struct CallOutcome {
    int status = FWM_OK;
    std::string message;
    double retry_after_s = -1;
    unsigned requests = 0;
    void fail(int s, std::string m, double retry_after) // the first failure is the attempt's
    {
        if (status != FWM_OK)
            return;
        status = s;
        message = std::move(m);
        retry_after_s = retry_after;
    }
};

} // namespace refreshing

using namespace refreshing; // the refresher's files only include this header

struct Refresher::Core : std::enable_shared_from_this<Core> {
    FleetOptions options;
    std::string account;
    std::shared_ptr<http::Runtime> runtime;
    std::unique_ptr<http::Client> client;
    // I/O thread only.
    std::array<asio::steady_timer, kKinds> timers;
    std::array<asio::steady_timer, kKinds> pace_timers; // a request waiting for its slot, per kind
    Clock::time_point next_slot{};                       // the next request's slot while slowed
    std::array<bool, kKinds> refreshed{};                // a kind's first refresh has ended
    std::map<std::string, std::string> termination; // deployment id -> its termination message, once asked
    std::string cost_scope;                           // ACCOUNT until refused, then SELF
    bool scope_fallback = false;
    std::atomic<bool> stopped{false};
    std::array<std::atomic<bool>, kKinds> asked_now{}; // refresh_now() asked
    std::atomic<bool> slowed{false};                  // held to the 10-a-minute envelope

    mutable std::mutex mutex;
    mutable std::condition_variable changed; // an attempt ended, or wake()
    bool running = false; // start() was called
    const void* lead = nullptr; // the instance that sends the account's own data
    Snapshot snapshot;

    Core(const http::ClientConfig& metrics, FleetOptions o)
        : options(std::move(o))
        , account(metrics.account_id)
        , runtime(http::Runtime::acquire())
        , timers{asio::steady_timer(runtime->context()), asio::steady_timer(runtime->context()),
                 asio::steady_timer(runtime->context()), asio::steady_timer(runtime->context())}
        , pace_timers{asio::steady_timer(runtime->context()), asio::steady_timer(runtime->context()),
                      asio::steady_timer(runtime->context()), asio::steady_timer(runtime->context())}
        , cost_scope(options.cost_scope)
    {
        http::ClientConfig api = metrics;
        api.purpose = http::Purpose::api;
        api.endpoint = options.api_endpoint;
        api.max_requests_per_minute = options.max_requests_per_minute;
        api.max_response_bytes = options.max_response_bytes;
        client = std::make_unique<http::Client>(std::move(api));
    }

    bool enabled(Kind k) const
    {
        const bool on[kKinds] = {options.inventory, options.usage, options.capacity, options.costs};
        return on[k];
    }

    Attempt& attempt(Kind k) // under mutex
    {
        Attempt* a[kKinds] = {&snapshot.inventory_attempt, &snapshot.usage_attempt, &snapshot.capacity_attempt,
                              &snapshot.costs_attempt};
        return *a[k];
    }

    bool first_done() const // under mutex
    {
        const Attempt* a[kKinds] = {&snapshot.inventory_attempt, &snapshot.usage_attempt, &snapshot.capacity_attempt,
                                    &snapshot.costs_attempt};
        for (std::size_t k = 0; k < kKinds; ++k)
            if (enabled(static_cast<Kind>(k)) && a[k]->sequence == 0)
                return false;
        return true;
    }

    // The wait after a refresh: the account at most every kSlowedAccount
    // while the account is held to 10 requests a minute.
    Clock::duration paced(Kind kind, Clock::duration wait) const
    {
        return kind == kCapacity && slowed.load() ? std::max<Clock::duration>(wait, kSlowedAccount) : wait;
    }

    // Before a request (but the account's): while the account is held to
    // 10 requests a minute, waits for the next free slot. The end of that
    // (or stopping) cancels the wait. A kind's first refresh is not held:
    // it started before the account was known, and the first run (what a
    // user sees, after every restart) waits for it.
    asio::awaitable<void> pace(Kind kind)
    {
        if (!slowed.load() || !refreshed[kind])
            co_return;
        // A generic cell rate: next_slot is when the request would go at the
        // steady rate; up to kSlowedBurst - 1 slots ahead of it go at once.
        const auto now = Clock::now();
        const auto due = std::max(now, next_slot);
        const auto at = due - options.slowed_spacing * (kSlowedBurst - 1);
        next_slot = due + options.slowed_spacing;
        if (at <= now)
            co_return;
        pace_timers[kind].expires_at(at);
        co_await pace_timers[kind].async_wait(kAwait);
    }

    // One kind's refreshes for as long as the refresher runs.
    static asio::awaitable<void> loop(std::shared_ptr<Core> self, Kind kind)
    {
        asio::steady_timer& timer = self->timers[kind];
        for (;;) {
            if (self->stopped.load())
                co_return;
            Clock::duration wait = kRetryAfterFailure;
            self->asked_now[kind].store(false); // this refresh answers it
            try {
                // Not one ?: with a co_await in each arm: GCC 12 runs both.
                if (kind == kInventory)
                    wait = co_await self->refresh_inventory();
                else if (kind == kUsage)
                    wait = co_await self->refresh_usage();
                else if (kind == kCapacity)
                    wait = co_await self->refresh_capacity();
                else
                    wait = co_await self->refresh_costs();
            } catch (...) {
                // Out of memory, or a bug: said as the attempt's outcome; tried again later.
                self->record_failure(kind);
            }
            if (self->stopped.load())
                co_return;
            self->refreshed[kind] = true;
            if (self->asked_now[kind].exchange(false))
                continue;
            timer.expires_after(self->paced(kind, wait));
            co_await timer.async_wait(kAwait); // refresh_now() and stopping cut it short
        }
    }

    void record_failure(Kind kind) noexcept
    {
        try {
            std::lock_guard lock(mutex);
            finish(attempt(kind), FWM_ERR_INTERNAL, kFailedUnexpectedly[kind], wall_now(), 0, -1);
            changed.notify_all();
        } catch (...) {
        }
    }

    double wall() const { return options.wall_clock ? options.wall_clock() : wall_now(); }

    asio::awaitable<Clock::duration> refresh_inventory();
    asio::awaitable<void> list_deployments(Inventory& inventory, CallOutcome& out);
    std::shared_ptr<const mapping::JoinedTags> joined_tags(const Inventory& inventory, bool partial);
    asio::awaitable<Clock::duration> refresh_usage();
    asio::awaitable<Clock::duration> refresh_capacity();
    Envelope envelope_of(const Capacity& c) const;
    asio::awaitable<Clock::duration> refresh_costs();
    asio::awaitable<void> read_termination_messages(Inventory& inventory, unsigned& requests);
    asio::awaitable<void> read_account(Capacity& c, const Capacity* last, CallOutcome& out);
    asio::awaitable<void> read_quotas(Capacity& c, const Capacity* last, CallOutcome& out);
    asio::awaitable<std::shared_ptr<CostDay>> read_cost_day(std::int64_t some_second, Problems& problems,
                                                            CallOutcome& out);
    asio::awaitable<bool> read_cost_rows(const std::string& day_start, const std::string& day_end, const char* dimension,
                                         std::vector<RatedRow>& rows, CostDay& day, Problems& problems,
                                         CallOutcome& out);
    asio::awaitable<void> read_billing(Costs& c, const Costs* last, CallOutcome& out);

    struct UsageRead {
        int status = FWM_OK;
        std::string message;
        unsigned requests = 0;
        double retry_after_s = -1;
        std::shared_ptr<UsageDay> usage;
    };
    asio::awaitable<UsageRead> read_usage_day(std::int64_t some_second);
};

} // namespace fwm::fleet
