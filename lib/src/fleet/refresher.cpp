#include "fleet/refresher.hpp"

#include <pthread.h>
#include <unistd.h>

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
#include "http/client.hpp"
#include "http/runtime.hpp"
#include "util/option_error.hpp"
#include "util/text.hpp"

namespace fwm::fleet {

namespace {

using SteadyClock = std::chrono::steady_clock;

// A failed refresh is tried again sooner than the interval, but not in a loop,
// and not before a 429's Retry-After has passed.
constexpr std::chrono::seconds kRetryAfterFailure{60};

std::chrono::steady_clock::duration next_after(int status, std::chrono::seconds interval, double retry_after_s)
{
    if (status == FWM_OK)
        return interval;
    std::chrono::steady_clock::duration wait = std::min<std::chrono::steady_clock::duration>(interval, kRetryAfterFailure);
    if (retry_after_s > 0)
        wait = std::max(wait, std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(retry_after_s)));
    return wait;
}
constexpr std::size_t kPageSize = 200; // the API's maximum

double wall_now()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A listing's page, of the API's largest size: the first, or the one `token` names.
std::string page_target(const std::string& account, const char* listing, const std::string& token)
{
    ApiTarget target(account);
    target.path(listing).param("pageSize", std::to_string(kPageSize));
    if (!token.empty())
        target.param("pageToken", token);
    return target.str();
}

void add_tag(std::vector<std::string>& tags, const std::string& name, const std::string& value)
{
    if (!value.empty())
        tags.push_back(name + ":" + value);
}

std::string annotation_tag_name(const std::string& key, const FleetOptions& o)
{
    const auto it = std::lower_bound(o.annotation_tags.begin(), o.annotation_tags.end(), std::make_pair(key, std::string()));
    if (it != o.annotation_tags.end() && it->first == key)
        return it->second;
    // Keys hold [A-Za-z0-9_.-/]; tag names are lower case.
    std::string name = "fireworks_annotation_";
    for (char c : key)
        name += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return name;
}

} // namespace

std::vector<std::string> deployment_tags(const Deployment& d, const FleetOptions& o)
{
    std::vector<std::string> tags;
    add_tag(tags, "accelerator_type", d.accelerator_type);
    add_tag(tags, "region", d.region);
    add_tag(tags, "deployment_name", d.display_name);
    for (const auto& [key, value] : d.annotations) {
        // Keys that differ only in case give one tag name: the first is kept.
        const std::string name = annotation_tag_name(key, o) + ":";
        if (std::none_of(tags.begin(), tags.end(), [&](const std::string& t) { return t.rfind(name, 0) == 0; }))
            add_tag(tags, name.substr(0, name.size() - 1), value);
    }
    return tags;
}


namespace {

namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Records how an attempt ended.
void finish(Attempt& a, int status, std::string message, double started, unsigned requests, double retry_after_s)
{
    a.retry_after_s = retry_after_s;
    a.status = status;
    a.message = util::clean_text(message, 1024);
    a.at = wall_now();
    a.duration_s = a.at - started;
    a.requests = requests;
    ++a.sequence;
}

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

// What a failed request says: the API, its path and the option that sets
// where it goes (never the key, never the query).
std::string failed_call(const char* doing, const std::string& target, const http::Url& api, const std::string& why,
                        const char* method = "GET")
{
    const std::string path = target.substr(0, target.find('?'));
    return std::string(doing) + " (" + method + " " + path + " on api_endpoint " + api.scheme + "://" +
           api.authority() + "): " + why;
}

// The kinds of refresh, each on its own timer.
enum Kind : std::size_t { kInventory, kUsage, kCapacity, kCosts, kKinds };

const char* kFailedUnexpectedly[kKinds] = {
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

// A capacity reading that could not list the quotas keeps the last listing, with its time.
void keep_quotas(Capacity& c, const Capacity& last)
{
    c.quotas = last.quotas;
    c.quotas_read = last.quotas_read;
    c.quotas_read_at = last.quotas_read_at;
    c.complete = last.complete;
}

void merge(Problems& into, Problems&& from)
{
    into.count += from.count;
    for (auto& p : from.first)
        if (into.first.size() < Problems::kKept)
            into.first.push_back(std::move(p));
}

} // namespace

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

namespace {

// A page's deployments and problems added to the listing, within max_deployments.
void add_page(Inventory& inventory, DeploymentsPage& page, std::size_t max_deployments)
{
    ++inventory.pages;
    inventory.skipped += page.skipped;
    merge(inventory.problems, std::move(page.problems));
    for (auto& d : page.deployments) {
        if (inventory.deployments.size() == max_deployments) {
            ++inventory.skipped;
            inventory.complete = false;
            continue;
        }
        inventory.deployments.push_back(std::move(d));
    }
}

// Sorted by id, each id once.
void settle(Inventory& inventory)
{
    auto& ds = inventory.deployments;
    std::stable_sort(ds.begin(), ds.end(), [](const Deployment& a, const Deployment& b) { return a.id < b.id; });
    const auto dup = std::unique(ds.begin(), ds.end(), [](const Deployment& a, const Deployment& b) { return a.id == b.id; });
    if (dup != ds.end()) {
        inventory.problems.add(std::to_string(ds.end() - dup) + " deployments listed twice; the first kept");
        ds.erase(dup, ds.end());
    }
}

} // namespace

// Every page of the deployments listing, until the last, a failure, or a
// server that pages for ever.
asio::awaitable<void> Refresher::Core::list_deployments(Inventory& inventory, CallOutcome& out)
{
    std::string token;
    PageLimits limits;
    const std::size_t max_pages = options.max_deployments / kPageSize + 2;
    for (;;) {
        const std::string target = page_target(account, "deployments", token);
        co_await pace(kInventory);
        Answer<DeploymentsPage> got = co_await fetch<DeploymentsPage>(
            *client, target, [limits](std::string_view body) { return parse_deployments_page(body, limits); });
        out.requests += got.info.attempts;
        if (got.info.status != FWM_OK) {
            out.fail(got.info.status, failed_call("listing deployments", target, options.api_endpoint, got.info.message),
                     got.info.retry_after_s);
            co_return;
        }
        if (!got.value) {
            out.fail(FWM_ERR_PROTOCOL,
                     failed_call("listing deployments", target, options.api_endpoint,
                                 got.error + " (page " + std::to_string(inventory.pages + 1) + ")"),
                     -1);
            co_return;
        }
        DeploymentsPage& page = *got.value;
        add_page(inventory, page, options.max_deployments);
        if (page.next_page_token.empty())
            co_return;
        if (page.next_page_token == token || inventory.pages == max_pages) {
            // A server that pages for ever: what came is kept, and said.
            inventory.complete = false;
            inventory.problems.add(page.next_page_token == token
                                       ? "the deployments API returned the same page token twice; listing stopped"
                                       : "more than " + std::to_string(max_pages) + " pages of deployments; listing stopped");
            co_return;
        }
        token = std::move(page.next_page_token);
    }
}

// The tags the metrics join by deployment_id; a partial listing keeps the
// earlier tags of the deployments it did not reach.
std::shared_ptr<const mapping::JoinedTags> Refresher::Core::joined_tags(const Inventory& inventory, bool partial)
{
    auto join = std::make_shared<mapping::JoinedTags>();
    for (const auto& d : inventory.deployments)
        (*join)[d.id] = deployment_tags(d, options);
    if (partial) {
        std::lock_guard lock(mutex);
        if (snapshot.tags)
            for (const auto& [id, t] : *snapshot.tags)
                join->emplace(id, t);
    }
    return join;
}

asio::awaitable<Refresher::Clock::duration> Refresher::Core::refresh_inventory()
{
    const double started = wall_now();
    auto inventory = std::make_shared<Inventory>();
    CallOutcome out;
    co_await list_deployments(*inventory, out);
    if (inventory->skipped && inventory->deployments.size() == options.max_deployments)
        inventory->problems.add("more than " + std::to_string(options.max_deployments) +
                                " deployments (max_deployments); the rest are left out");
    // A listing cut by a failed page keeps the pages it read: a partial
    // inventory (creating and deleting nothing) beats none.
    const bool partial = out.status != FWM_OK && inventory->pages > 0;
    if (partial) {
        inventory->complete = false;
        const std::string kept = "kept the " + std::to_string(inventory->deployments.size()) + " deployments of the " +
                                 std::to_string(inventory->pages) + " page(s) read before it";
        inventory->problems.add("the listing stopped early: " + out.message + "; " + kept);
        out.message += "; " + kept;
    }
    const bool keep = out.status == FWM_OK || partial;
    std::shared_ptr<const mapping::JoinedTags> tags;
    if (keep) {
        settle(*inventory);
        co_await read_termination_messages(*inventory, out.requests);
        inventory->fetched_at = wall_now();
        if (options.inventory_tags)
            tags = joined_tags(*inventory, partial);
    }
    std::lock_guard lock(mutex);
    finish(snapshot.inventory_attempt, out.status, std::move(out.message), started, out.requests, out.retry_after_s);
    if (keep) {
        snapshot.inventory = std::move(inventory);
        snapshot.tags = std::move(tags);
    }
    changed.notify_all();
    co_return next_after(out.status, options.inventory_interval, out.retry_after_s);
}

// One day's usage: [day_start, next day) in UTC.
asio::awaitable<Refresher::Core::UsageRead> Refresher::Core::read_usage_day(std::int64_t some_second)
{
    UsageRead r;
    const std::string day_start = utc_day_start(some_second), day_end = utc_next_day_start(some_second);
    const std::string target =
        ApiTarget(account).path("billingUsage").param("startTime", day_start).param("endTime", day_end).str();
    const double from = *parse_rfc3339(day_start), to = *parse_rfc3339(day_end);
    co_await pace(kUsage);
    Answer<Usage> got = co_await fetch<Usage>(*client, target,
                                              [from, to](std::string_view body) { return parse_usage(body, from, to); });
    r.requests = got.info.attempts;
    r.status = got.info.status;
    r.retry_after_s = got.info.retry_after_s;
    if (r.status != FWM_OK) {
        r.message = failed_call("reading billing usage", target, options.api_endpoint, got.info.message);
        co_return r;
    }
    if (!got.value) {
        r.status = FWM_ERR_PROTOCOL;
        r.message = failed_call("reading billing usage", target, options.api_endpoint, got.error);
        co_return r;
    }
    auto usage = std::make_shared<UsageDay>();
    usage->usage = std::move(*got.value);
    usage->day = day_start.substr(0, 10);
    usage->fetched_at = wall_now();
    r.usage = std::move(usage);
    co_return r;
}

asio::awaitable<Refresher::Clock::duration> Refresher::Core::refresh_usage()
{
    const double started = wall_now();
    const auto now = static_cast<std::int64_t>(options.wall_clock ? options.wall_clock() : started);
    std::shared_ptr<const UsageDay> last;
    {
        std::lock_guard lock(mutex);
        last = snapshot.usage;
    }
    UsageRead today = co_await read_usage_day(now);
    unsigned requests = today.requests;
    if (today.usage && last) {
        if (last->day == today.usage->day) {
            today.usage->day_before = last->day_before; // kept for the whole day
        } else if (auto when = parse_rfc3339(last->day + "T12:00:00Z")) {
            // The first reading of a new day: the day before once more, for its final totals.
            UsageRead before = co_await read_usage_day(static_cast<std::int64_t>(*when));
            requests += before.requests;
            if (before.usage) {
                before.usage->day_before.reset();
                today.usage->day_before = std::move(before.usage);
            } else {
                today.usage->usage.problems.add("the final totals of " + last->day + " could not be read (" +
                                                before.message + "); its last hours are not counted");
            }
        }
    }
    std::lock_guard lock(mutex);
    finish(snapshot.usage_attempt, today.status, std::move(today.message), started, requests, today.retry_after_s);
    if (today.status == FWM_OK)
        snapshot.usage = std::move(today.usage);
    changed.notify_all();
    co_return next_after(today.status, options.usage_interval, today.retry_after_s);
}

// Why a deployment failed, asked once when it is first seen FAILED (a few a
// refresh): the endpoint may not exist (404), which leaves no message.
asio::awaitable<void> Refresher::Core::read_termination_messages(Inventory& inventory, unsigned& requests)
{
    constexpr std::size_t kPerRefresh = 3, kKept = 10000;
    std::size_t asked = 0;
    for (auto& d : inventory.deployments) {
        if (d.state != "FAILED")
            continue;
        auto it = termination.find(d.id);
        if (it == termination.end()) {
            if (asked == kPerRefresh || termination.size() >= kKept || stopped.load())
                continue;
            ++asked;
            const std::string target =
                ApiTarget(account).path("deployments").segment(d.id).path("terminationMessage").str();
            co_await pace(kInventory);
            Answer<std::string> got = co_await fetch<std::string>(
                *client, target, [](std::string_view body) { return parse_termination_message(body); });
            requests += got.info.attempts;
            if (got.info.status == FWM_ERR_RATE_LIMITED || got.info.status == FWM_ERR_CANCELLED)
                break; // asked again at the next refresh
            it = termination.emplace(d.id, got.value.value_or("")).first;
        }
        d.termination_message = it->second;
    }
    if (inventory.complete) // one that recovers and fails again is asked again
        std::erase_if(termination, [&](const auto& entry) {
            const auto d = std::lower_bound(inventory.deployments.begin(), inventory.deployments.end(), entry.first,
                                            [](const Deployment& x, const std::string& id) { return x.id < id; });
            return d == inventory.deployments.end() || d->id != entry.first || d->state != "FAILED";
        });
}

asio::awaitable<void> Refresher::Core::read_account(Capacity& c, const Capacity* last, CallOutcome& out)
{
    const std::string target = ApiTarget(account).str();
    Answer<AccountInfo> got =
        co_await fetch<AccountInfo>(*client, target, [](std::string_view body) { return parse_account(body); });
    out.requests += got.info.attempts;
    if (got.value) {
        merge(c.problems, std::move(got.value->problems));
        got.value->problems = {};
        c.account = std::move(*got.value);
        co_return;
    }
    const bool answered = got.info.status == FWM_OK;
    c.account_error = failed_call("reading the account", target, options.api_endpoint, answered ? got.error : got.info.message);
    out.fail(answered ? FWM_ERR_PROTOCOL : got.info.status, c.account_error, got.info.retry_after_s);
    if (last)
        c.account = last->account; // the last good one
}

asio::awaitable<void> Refresher::Core::read_quotas(Capacity& c, const Capacity* last, CallOutcome& out)
{
    constexpr std::size_t kMaxPages = 50;
    std::vector<Quota> quotas;
    std::string token;
    Problems problems;
    bool ok = true;
    for (std::size_t pages = 0;; ++pages) {
        const std::string target = page_target(account, "quotas", token);
        co_await pace(kCapacity);
        Answer<QuotasPage> got =
            co_await fetch<QuotasPage>(*client, target, [](std::string_view body) { return parse_quotas_page(body); });
        out.requests += got.info.attempts;
        if (!got.value) {
            const bool answered = got.info.status == FWM_OK;
            out.fail(answered ? FWM_ERR_PROTOCOL : got.info.status,
                     failed_call("listing quotas", target, options.api_endpoint, answered ? got.error : got.info.message),
                     got.info.retry_after_s);
            ok = false;
            break;
        }
        merge(problems, std::move(got.value->problems));
        for (auto& q : got.value->quotas)
            quotas.push_back(std::move(q));
        if (got.value->next_page_token.empty())
            break;
        if (got.value->next_page_token == token || pages + 1 == kMaxPages) {
            problems.add("the quotas API kept paging; listing stopped after " + std::to_string(pages + 1) + " pages");
            c.complete = false;
            break;
        }
        token = std::move(got.value->next_page_token);
    }
    if (!ok) { // the last good listing stays
        if (last)
            keep_quotas(c, *last);
        co_return;
    }
    std::stable_sort(quotas.begin(), quotas.end(), [](const Quota& a, const Quota& b) { return a.id < b.id; });
    const auto dup = std::unique(quotas.begin(), quotas.end(), [](const Quota& a, const Quota& b) { return a.id == b.id; });
    if (dup != quotas.end()) {
        problems.add(std::to_string(quotas.end() - dup) + " quotas listed twice; the first kept");
        quotas.erase(dup, quotas.end());
    }
    merge(c.problems, std::move(problems));
    c.quotas = std::move(quotas);
    c.quotas_read = true;
    c.quotas_read_at = wall();
}

asio::awaitable<Refresher::Clock::duration> Refresher::Core::refresh_capacity()
{
    const double started = wall_now();
    std::shared_ptr<const Capacity> last;
    {
        std::lock_guard lock(mutex);
        last = snapshot.capacity;
    }
    auto c = std::make_shared<Capacity>();
    CallOutcome out;
    co_await read_account(*c, last.get(), out);
    // The pace follows the account at once: the quotas read next already keep it.
    const Envelope envelope = envelope_of(*c);
    if (slowed.exchange(envelope.slowed) && !envelope.slowed)
        for (auto& t : pace_timers) // the requests waiting for a slot go now
            t.cancel();
    // A 429 holds the account's calls back; held to 10 a minute, the account alone is read.
    const bool held = envelope.slowed && last && last->quotas_read;
    if (out.status != FWM_ERR_RATE_LIMITED && !held && !stopped.load()) {
        co_await read_quotas(*c, last.get(), out);
    } else if (last) {
        keep_quotas(*c, *last);
    }
    c->fetched_at = wall_now();
    std::lock_guard lock(mutex);
    finish(snapshot.capacity_attempt, out.status, std::move(out.message), started, out.requests, out.retry_after_s);
    if (c->account || c->quotas_read)
        snapshot.capacity = std::move(c);
    snapshot.envelope = envelope;
    changed.notify_all();
    co_return next_after(out.status, options.capacity_interval, out.retry_after_s);
}

// Held to 10 requests a minute while the account reads as suspended.
Envelope Refresher::Core::envelope_of(const Capacity& c) const
{
    Envelope envelope;
    if (c.account && suspended(c.account->suspend_state)) {
        envelope.slowed = true;
        envelope.reason =
            "the account is suspended (" + c.account->suspend_state +
            "): Fireworks then allows it 10 API requests a minute for all its traffic, so until the suspension ends "
            "this check reads the account every " +
            std::to_string(std::max(options.capacity_interval, kSlowedAccount).count()) +
            " s (its quotas keep their last reading) and its other REST calls at most 3 a minute (" +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options.slowed_spacing).count()) +
            " s apart after a burst of " + std::to_string(kSlowedBurst) + ")";
    }
    return envelope;
}

namespace {

constexpr std::size_t kMaxCostRows = 20000; // per dimension and day

// Rows of one dimension and day, summed by key: the model, or the API key
// and user, and the currency.
struct CostRowSum {
    const char* dimension;
    bool by_model;
    std::vector<RatedRow>& rows;
    std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index{}; // key -> its row
    std::size_t read = 0;
};

// One page added to the day; false once kMaxCostRows were read.
bool add_cost_page(CostsPage& page, CostRowSum& sum, CostDay& day, Problems& problems)
{
    merge(problems, std::move(page.problems));
    if (page.subtotal)
        day.subtotal = page.subtotal;
    if (page.evaluation_time)
        day.evaluation_time = page.evaluation_time;
    if (!page.attribution_completeness.empty())
        day.attribution_completeness = page.attribution_completeness;
    for (auto& row : page.rows) {
        if (!row.day.empty() && row.day != day.day) {
            problems.add("a cost row of " + row.day + " in the answer for " + day.day + "; left out");
            continue;
        }
        if (sum.read++ == kMaxCostRows) {
            problems.add("more than " + std::to_string(kMaxCostRows) + " cost rows by " + sum.dimension + " for " +
                         day.day + "; the rest are left out");
            return false;
        }
        auto key = sum.by_model ? std::make_tuple(row.model, std::string(), row.amount.currency())
                                : std::make_tuple(row.api_key_id, row.user, row.amount.currency());
        const auto [at, added] = sum.index.emplace(std::move(key), sum.rows.size());
        if (added)
            sum.rows.push_back(std::move(row));
        else if (!sum.rows[at->second].amount.add(row.amount)) // same currency: cannot fail
            problems.add("a cost row's currency changed while summing; left out");
    }
    return true;
}

} // namespace

// One usageCosts query, all its pages, into `rows`: one per model (or API
// key and user) and currency, the rows of one summed exactly (rows without a
// model, unattributed costs, are several and all count). At most
// kMaxCostRows rows are read. False when it failed.
asio::awaitable<bool> Refresher::Core::read_cost_rows(const std::string& day_start, const std::string& day_end,
                                                      const char* dimension, std::vector<RatedRow>& rows, CostDay& day,
                                                      Problems& problems, CallOutcome& out)
{
    constexpr std::size_t kMaxPages = 50;
    constexpr unsigned kCostPageSize = 1000;
    const std::string target = ApiTarget(account).path("usageCosts:query").str();
    CostRowSum sum{dimension, std::string_view(dimension) == "MODEL", rows};
    std::string token;
    for (std::size_t pages = 0;;) {
        co_await pace(kCosts);
        Answer<CostsPage> got = co_await fetch<CostsPage>(
            *client, target, costs_query(cost_scope, dimension, day_start, day_end, token, kCostPageSize),
            [](std::string_view body) { return parse_costs_page(body); });
        out.requests += got.info.attempts;
        if (got.info.status == FWM_ERR_HTTP_FORBIDDEN && cost_scope == "ACCOUNT" && pages == 0 && token.empty()) {
            // Costs of the whole account need an administrator's key: this key's own, then.
            cost_scope = "SELF";
            scope_fallback = true;
            continue;
        }
        if (!got.value) {
            const bool answered = got.info.status == FWM_OK;
            out.fail(answered ? FWM_ERR_PROTOCOL : got.info.status,
                     failed_call("querying usage costs", target, options.api_endpoint,
                                 answered ? got.error : got.info.message, "POST"),
                     got.info.retry_after_s);
            co_return false;
        }
        CostsPage& page = *got.value;
        if (!add_cost_page(page, sum, day, problems))
            co_return true;
        if (page.next_page_token.empty())
            co_return true;
        if (page.next_page_token == token || ++pages == kMaxPages) {
            problems.add("the usage costs API kept paging; stopped after " + std::to_string(pages) + " pages");
            co_return true;
        }
        token = std::move(page.next_page_token);
    }
}

asio::awaitable<std::shared_ptr<CostDay>> Refresher::Core::read_cost_day(std::int64_t some_second, Problems& problems,
                                                                         CallOutcome& out)
{
    auto day = std::make_shared<CostDay>();
    const std::string start = utc_day_start(some_second), end = utc_next_day_start(some_second);
    day->day = start.substr(0, 10);
    bool ok = co_await read_cost_rows(start, end, "MODEL", day->by_model, *day, problems, out);
    if (ok && !stopped.load())
        ok = co_await read_cost_rows(start, end, "API_KEY", day->by_api_key, *day, problems, out);
    if (!ok)
        day.reset();
    co_return day;
}

asio::awaitable<void> Refresher::Core::read_billing(Costs& c, const Costs* last, CallOutcome& out)
{
    const auto now = static_cast<std::int64_t>(wall());
    const UtcMonth month = utc_month_of(now);
    const std::string to = utc_next_day_start(now); // the end is exclusive: today included
    const std::string target =
        ApiTarget(account).path("billing").path("summary").param("startTime", month.start_text).param("endTime", to).str();
    co_await pace(kCosts);
    Answer<BillingSummary> got = co_await fetch<BillingSummary>(
        *client, target, [](std::string_view body) { return parse_billing_summary(body); });
    out.requests += got.info.attempts;
    if (got.value) {
        merge(c.problems, std::move(got.value->problems));
        c.billed = std::move(got.value->lines);
        c.billed_from = month.start_text.substr(0, 10);
        c.billed_to = to.substr(0, 10);
        c.billed_read = true;
        co_return;
    }
    const bool answered = got.info.status == FWM_OK;
    c.billing_error =
        failed_call("reading the billing summary", target, options.api_endpoint, answered ? got.error : got.info.message);
    out.fail(answered ? FWM_ERR_PROTOCOL : got.info.status, c.billing_error, got.info.retry_after_s);
    if (last) {
        c.billed = last->billed;
        c.billed_from = last->billed_from;
        c.billed_to = last->billed_to;
        c.billed_read = last->billed_read;
    }
}

asio::awaitable<Refresher::Clock::duration> Refresher::Core::refresh_costs()
{
    const double started = wall_now();
    const auto now = static_cast<std::int64_t>(wall());
    std::shared_ptr<const Costs> last;
    {
        std::lock_guard lock(mutex);
        last = snapshot.costs;
    }
    auto c = std::make_shared<Costs>();
    CallOutcome out;
    std::shared_ptr<CostDay> today = co_await read_cost_day(now, c->problems, out);
    if (today && last && last->today && last->today->day == today->day) {
        c->day_before = last->day_before; // kept for the whole day
    } else if (today && last && last->today && !stopped.load()) {
        // The first reading of a new day: the day before once more, for its final totals.
        if (auto when = parse_rfc3339(last->today->day + "T12:00:00Z")) {
            c->day_before = co_await read_cost_day(static_cast<std::int64_t>(*when), c->problems, out);
            if (!c->day_before)
                c->problems.add("the final costs of " + last->today->day + " could not be read; its last hours are not counted");
        }
    }
    if (today)
        c->today = std::move(today);
    else if (last) {
        c->today = last->today;
        c->day_before = last->day_before;
    }
    if (out.status != FWM_ERR_RATE_LIMITED && !stopped.load())
        co_await read_billing(*c, last.get(), out);
    else if (last) {
        c->billed = last->billed;
        c->billed_from = last->billed_from;
        c->billed_to = last->billed_to;
        c->billed_read = last->billed_read;
    }
    c->scope = cost_scope;
    c->scope_fallback = scope_fallback;
    c->fetched_at = wall_now();
    std::lock_guard lock(mutex);
    finish(snapshot.costs_attempt, out.status, std::move(out.message), started, out.requests, out.retry_after_s);
    if (c->today || c->billed_read)
        snapshot.costs = std::move(c);
    changed.notify_all();
    co_return next_after(out.status, options.cost_interval, out.retry_after_s);
}

Refresher::Refresher(const http::ClientConfig& metrics, FleetOptions options)
    : pid_(::getpid())
{
    if (metrics.account_id.empty())
        throw util::OptionError(
            "options 'collect_inventory', 'collect_usage', 'collect_capacity' and 'collect_costs' need 'account_id'");
    core_ = std::make_shared<Core>(metrics, std::move(options));
}

Refresher::~Refresher()
{
    if (pid_ != ::getpid()) {
        // In a child of fork(): the timers and sockets are the parent's runtime's. Leave them.
        new std::shared_ptr<Core>(std::move(core_));
        return;
    }
    core_->stopped.store(true);
    core_->client->cancel(); // a request in flight ends at once
    try {
        asio::post(core_->runtime->context(), [core = core_] {
            for (auto& t : core->timers)
                t.cancel();
            for (auto& t : core->pace_timers)
                t.cancel();
        });
    } catch (...) {
        // No memory for the post: the timers end by themselves.
    }
    // The loops let go within microseconds; then the state goes here, on
    // the caller's thread, like a client handle's.
    if (std::this_thread::get_id() == core_->runtime->thread_id())
        return;
    const auto until = Clock::now() + http::Client::kTeardownWait;
    while (core_.use_count() > 1 && Clock::now() < until)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
}

void Refresher::start()
{
    {
        std::lock_guard lock(core_->mutex);
        if (core_->running || pid_ != ::getpid())
            return;
        core_->running = true;
    }
    try {
        for (std::size_t k = 0; k < kKinds; ++k)
            if (core_->enabled(static_cast<Kind>(k)))
                asio::co_spawn(core_->runtime->context(), Core::loop(core_, static_cast<Kind>(k)), asio::detached);
    } catch (...) {
        // Out of memory: the next run starts them.
        std::lock_guard lock(core_->mutex);
        core_->running = false;
    }
}

void Refresher::refresh_now()
{
    for (auto& n : core_->asked_now)
        n.store(true);
    asio::post(core_->runtime->context(), [core = core_] {
        for (auto& t : core->timers)
            t.cancel();
    });
}

Snapshot Refresher::snapshot() const
{
    std::lock_guard lock(core_->mutex);
    return core_->snapshot;
}

bool Refresher::wait_first(Clock::time_point deadline, const std::atomic<bool>& stop) const
{
    std::unique_lock lock(core_->mutex);
    return core_->changed.wait_until(lock, deadline, [&] { return stop.load() || core_->first_done(); }) &&
           core_->first_done();
}

void Refresher::wake() const
{
    std::lock_guard lock(core_->mutex); // no wake-up lost between a waiter's test and its wait
    core_->changed.notify_all();
}

const FleetOptions& Refresher::options() const
{
    return core_->options;
}

bool Refresher::lead(const void* who)
{
    std::lock_guard lock(core_->mutex);
    if (!core_->lead)
        core_->lead = who;
    return core_->lead == who;
}

void Refresher::release(const void* who)
{
    std::lock_guard lock(core_->mutex);
    if (core_->lead == who)
        core_->lead = nullptr;
}

// ---- sharing -------------------------------------------------------------

namespace {

struct Registry {
    std::mutex mutex;
    std::map<std::string, std::weak_ptr<Refresher>> running;
};

void lock_registry_for_fork();
void unlock_registry_after_fork();

Registry& registry()
{
    static Registry& r = *new Registry(); // never destroyed: handles may outlive static destruction
    static const int registered = pthread_atfork(lock_registry_for_fork, unlock_registry_after_fork,
                                                 unlock_registry_after_fork);
    (void)registered;
    return r;
}

void lock_registry_for_fork()
{
    registry().mutex.lock();
}

void unlock_registry_after_fork()
{
    registry().mutex.unlock();
}

// Everything a refresh depends on: instances that agree on all of it
// share one refresher (and so one request budget and one answer).
std::string sharing_key(const http::ClientConfig& m, const FleetOptions& o)
{
    // The transport as the REST API is reached: the proxy (and no_proxy)
    // that applies to api_endpoint, not to the metrics endpoint.
    http::ClientConfig api = m;
    api.endpoint = o.api_endpoint;
    std::string key = o.api_endpoint.redacted() + "|" + m.account_id + "|" + api.transport();
    for (auto n : {static_cast<long long>(o.inventory), static_cast<long long>(o.usage),
                   static_cast<long long>(o.capacity), static_cast<long long>(o.costs),
                   static_cast<long long>(o.capacity_interval.count()), static_cast<long long>(o.cost_interval.count()),
                   static_cast<long long>(o.inventory_tags), static_cast<long long>(o.inventory_interval.count()),
                   static_cast<long long>(o.usage_interval.count()), static_cast<long long>(o.max_requests_per_minute),
                   static_cast<long long>(o.max_deployments), static_cast<long long>(o.max_response_bytes),
                   static_cast<long long>(m.timeout.count()), static_cast<long long>(m.connect_timeout.count()),
                   static_cast<long long>(m.read_timeout.count()), static_cast<long long>(m.max_attempts),
                   static_cast<long long>(m.max_retry_after.count())})
        key += "|" + std::to_string(n);
    for (const auto& [annotation, tag] : o.annotation_tags)
        key += "|" + annotation + "=" + tag;
    key += "|" + o.cost_scope;
    for (const auto& [type, price] : o.accelerator_prices)
        key += "|" + type + "=" + std::to_string(price);
    // The key is hashed with the rest: only the same key shares, and it is not kept in clear.
    return http::cache_key_for(key, m.api_key);
}

} // namespace

std::shared_ptr<Refresher> Refresher::acquire(const http::ClientConfig& metrics, const FleetOptions& options)
{
    if (options.wall_clock) // a test's own clock: never shared
        return std::make_shared<Refresher>(metrics, options);
    const std::string key = sharing_key(metrics, options);
    Registry& r = registry();
    {
        std::lock_guard lock(r.mutex);
        if (auto found = r.running[key].lock(); found && found->pid_ == ::getpid())
            return found;
    }
    auto made = std::make_shared<Refresher>(metrics, options); // outside the lock: it may read files
    std::lock_guard lock(r.mutex);
    std::erase_if(r.running, [](const auto& entry) { return entry.second.expired(); });
    if (auto found = r.running[key].lock(); found && found->pid_ == ::getpid())
        return found; // another instance made it meanwhile
    r.running[key] = made;
    return made;
}

std::size_t Refresher::count()
{
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    return static_cast<std::size_t>(std::count_if(r.running.begin(), r.running.end(), [](const auto& entry) {
        const auto held = entry.second.lock();
        return held && held->pid_ == ::getpid();
    }));
}

} // namespace fwm::fleet
