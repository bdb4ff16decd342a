#include "fleet/refresher.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

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

std::string percent_encode(std::string_view s)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
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

// One GET on the API client. The answer is decoded and read by `read` on
// the runtime's worker thread, never on the I/O thread that every
// instance's scrapes share; the coroutine resumes on its own executor.
template <class T, class Read>
asio::awaitable<Answer<T>> fetch(http::Client& client, std::string target, Read read)
{
    auto initiate = [&client, target = std::move(target), read = std::move(read)](auto handler) mutable {
        // The handler moves only; collect_async's callback is copied.
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        client.collect_async(std::move(target), [h, read](http::Collected got) {
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

// What a failed request says: the API, its path and the option that sets
// where it goes (never the key, never the query).
std::string failed_call(const char* doing, const std::string& target, const http::Url& api, const std::string& why)
{
    const std::string path = target.substr(0, target.find('?'));
    return std::string(doing) + " (GET " + path + " on api_endpoint " + api.scheme + "://" + api.authority() +
           "): " + why;
}

} // namespace

struct Refresher::Core : std::enable_shared_from_this<Core> {
    FleetOptions options;
    std::string account;
    std::shared_ptr<http::Runtime> runtime;
    std::unique_ptr<http::Client> client;
    // I/O thread only.
    asio::steady_timer inventory_timer, usage_timer;
    std::atomic<bool> stopped{false};
    std::atomic<bool> inventory_now{false}, usage_now{false}; // refresh_now() asked

    mutable std::mutex mutex;
    mutable std::condition_variable changed; // an attempt ended, or wake()
    bool running = false; // start() was called
    Snapshot snapshot;

    Core(const http::ClientConfig& metrics, FleetOptions o)
        : options(std::move(o))
        , account(metrics.account_id)
        , runtime(http::Runtime::acquire())
        , inventory_timer(runtime->context())
        , usage_timer(runtime->context())
    {
        http::ClientConfig api = metrics;
        api.purpose = http::Purpose::api;
        api.endpoint = options.api_endpoint;
        api.max_requests_per_minute = options.max_requests_per_minute;
        api.max_response_bytes = options.max_response_bytes;
        client = std::make_unique<http::Client>(std::move(api));
    }

    bool first_done() const // under mutex
    {
        return (!options.inventory || snapshot.inventory_attempt.sequence > 0) &&
               (!options.usage || snapshot.usage_attempt.sequence > 0);
    }

    // One kind's refreshes for as long as the refresher runs.
    static asio::awaitable<void> loop(std::shared_ptr<Core> self, bool inventory)
    {
        asio::steady_timer& timer = inventory ? self->inventory_timer : self->usage_timer;
        for (;;) {
            if (self->stopped.load())
                co_return;
            Clock::duration wait = kRetryAfterFailure;
            (inventory ? self->inventory_now : self->usage_now).store(false); // this refresh answers it
            try {
                // Not one ?: with a co_await in each arm: GCC 12 runs both.
                if (inventory)
                    wait = co_await self->refresh_inventory();
                else
                    wait = co_await self->refresh_usage();
            } catch (...) {
                // Out of memory, or a bug: said as the attempt's outcome; tried again later.
                self->record_failure(inventory);
            }
            if (self->stopped.load())
                co_return;
            if ((inventory ? self->inventory_now : self->usage_now).exchange(false))
                continue;
            timer.expires_after(wait);
            co_await timer.async_wait(kAwait); // refresh_now() and stopping cut it short
        }
    }

    void record_failure(bool inventory) noexcept
    {
        try {
            std::lock_guard lock(mutex);
            Attempt& a = inventory ? snapshot.inventory_attempt : snapshot.usage_attempt;
            finish(a, FWM_ERR_INTERNAL, inventory ? "listing deployments failed unexpectedly" : "reading billing usage failed unexpectedly",
                   wall_now(), 0, -1);
            changed.notify_all();
        } catch (...) {
        }
    }

    asio::awaitable<Clock::duration> refresh_inventory();
    asio::awaitable<Clock::duration> refresh_usage();

    struct UsageRead {
        int status = FWM_OK;
        std::string message;
        unsigned requests = 0;
        double retry_after_s = -1;
        std::shared_ptr<UsageDay> usage;
    };
    asio::awaitable<UsageRead> read_usage_day(std::int64_t some_second);
};

asio::awaitable<Refresher::Clock::duration> Refresher::Core::refresh_inventory()
{
    const double started = wall_now();
    auto inventory = std::make_shared<Inventory>();
    unsigned requests = 0;
    int status = FWM_OK;
    double retry_after_s = -1;
    std::string message;
    std::string token;
    PageLimits limits;
    const std::size_t max_pages = options.max_deployments / kPageSize + 2;
    for (;;) {
        std::string target = "/v1/accounts/" + account + "/deployments?pageSize=" + std::to_string(kPageSize);
        if (!token.empty())
            target += "&pageToken=" + percent_encode(token);
        Answer<DeploymentsPage> got = co_await fetch<DeploymentsPage>(
            *client, target, [limits](std::string_view body) { return parse_deployments_page(body, limits); });
        requests += got.info.attempts;
        if (got.info.status != FWM_OK) {
            status = got.info.status;
            retry_after_s = got.info.retry_after_s;
            message = failed_call("listing deployments", target, options.api_endpoint, got.info.message);
            break;
        }
        if (!got.value) {
            status = FWM_ERR_PROTOCOL;
            message = failed_call("listing deployments", target, options.api_endpoint,
                                  got.error + " (page " + std::to_string(inventory->pages + 1) + ")");
            break;
        }
        DeploymentsPage page = std::move(*got.value);
        ++inventory->pages;
        inventory->skipped += page.skipped;
        inventory->problems.count += page.problems.count;
        for (auto& p : page.problems.first)
            if (inventory->problems.first.size() < Problems::kKept)
                inventory->problems.first.push_back(std::move(p));
        for (auto& d : page.deployments) {
            if (inventory->deployments.size() == options.max_deployments) {
                ++inventory->skipped;
                inventory->complete = false;
                continue;
            }
            inventory->deployments.push_back(std::move(d));
        }
        if (page.next_page_token.empty())
            break;
        if (page.next_page_token == token || inventory->pages == max_pages) {
            // A server that pages for ever: what came is kept, and said.
            inventory->complete = false;
            inventory->problems.add(page.next_page_token == token
                                        ? "the deployments API returned the same page token twice; listing stopped"
                                        : "more than " + std::to_string(max_pages) + " pages of deployments; listing stopped");
            break;
        }
        token = std::move(page.next_page_token);
    }
    if (inventory->skipped && inventory->deployments.size() == options.max_deployments)
        inventory->problems.add("more than " + std::to_string(options.max_deployments) +
                                " deployments (max_deployments); the rest are left out");
    // A listing cut by a failed page keeps the pages it read: a partial
    // inventory (creating and deleting nothing) beats none.
    const bool partial = status != FWM_OK && inventory->pages > 0;
    if (partial) {
        inventory->complete = false;
        const std::string kept = "kept the " + std::to_string(inventory->deployments.size()) + " deployments of the " +
                                 std::to_string(inventory->pages) + " page(s) read before it";
        inventory->problems.add("the listing stopped early: " + message + "; " + kept);
        message += "; " + kept;
    }
    std::shared_ptr<const mapping::JoinedTags> tags;
    if (status == FWM_OK || partial) {
        auto& ds = inventory->deployments;
        std::stable_sort(ds.begin(), ds.end(), [](const Deployment& a, const Deployment& b) { return a.id < b.id; });
        const auto dup = std::unique(ds.begin(), ds.end(), [](const Deployment& a, const Deployment& b) { return a.id == b.id; });
        if (dup != ds.end()) {
            inventory->problems.add(std::to_string(ds.end() - dup) + " deployments listed twice; the first kept");
            ds.erase(dup, ds.end());
        }
        inventory->fetched_at = wall_now();
        if (options.inventory_tags) {
            auto join = std::make_shared<mapping::JoinedTags>();
            for (const auto& d : ds)
                (*join)[d.id] = deployment_tags(d, options);
            if (partial) { // the deployments it did not reach keep their earlier tags
                std::lock_guard lock(mutex);
                if (snapshot.tags)
                    for (const auto& [id, t] : *snapshot.tags)
                        join->emplace(id, t);
            }
            tags = std::move(join);
        }
    }
    std::lock_guard lock(mutex);
    finish(snapshot.inventory_attempt, status, std::move(message), started, requests, retry_after_s);
    if (status == FWM_OK || partial) {
        snapshot.inventory = std::move(inventory);
        snapshot.tags = std::move(tags);
    }
    changed.notify_all();
    co_return next_after(status, options.inventory_interval, retry_after_s);
}

// One day's usage: [day_start, next day) in UTC.
asio::awaitable<Refresher::Core::UsageRead> Refresher::Core::read_usage_day(std::int64_t some_second)
{
    UsageRead r;
    const std::string day_start = utc_day_start(some_second), day_end = utc_next_day_start(some_second);
    const std::string target = "/v1/accounts/" + account + "/billingUsage?startTime=" + percent_encode(day_start) +
                               "&endTime=" + percent_encode(day_end);
    const double from = *parse_rfc3339(day_start), to = *parse_rfc3339(day_end);
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

Refresher::Refresher(const http::ClientConfig& metrics, FleetOptions options)
    : pid_(::getpid())
{
    if (metrics.account_id.empty())
        throw util::OptionError("options 'collect_inventory' and 'collect_usage' need 'account_id'");
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
            core->inventory_timer.cancel();
            core->usage_timer.cancel();
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
        if (core_->options.inventory)
            asio::co_spawn(core_->runtime->context(), Core::loop(core_, true), asio::detached);
        if (core_->options.usage)
            asio::co_spawn(core_->runtime->context(), Core::loop(core_, false), asio::detached);
    } catch (...) {
        // Out of memory: the next run starts them.
        std::lock_guard lock(core_->mutex);
        core_->running = false;
    }
}

void Refresher::refresh_now()
{
    core_->inventory_now.store(true);
    core_->usage_now.store(true);
    asio::post(core_->runtime->context(), [core = core_] {
        core->inventory_timer.cancel();
        core->usage_timer.cancel();
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
                   static_cast<long long>(o.inventory_tags), static_cast<long long>(o.inventory_interval.count()),
                   static_cast<long long>(o.usage_interval.count()), static_cast<long long>(o.max_requests_per_minute),
                   static_cast<long long>(o.max_deployments), static_cast<long long>(o.max_response_bytes),
                   static_cast<long long>(m.timeout.count()), static_cast<long long>(m.connect_timeout.count()),
                   static_cast<long long>(m.read_timeout.count()), static_cast<long long>(m.max_attempts),
                   static_cast<long long>(m.max_retry_after.count())})
        key += "|" + std::to_string(n);
    for (const auto& [annotation, tag] : o.annotation_tags)
        key += "|" + annotation + "=" + tag;
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
