#include "fleet/refresher_core.hpp"

#include "util/option_error.hpp"
#include "util/platform.hpp"

namespace fwm::fleet {

namespace refreshing {

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

// What a failed request says: the API, its path and the option that sets
// where it goes (never the key, never the query).
std::string failed_call(const char* doing, const std::string& target, const http::Url& api, const std::string& why,
                        const char* method)
{
    const std::string path = target.substr(0, target.find('?'));
    return std::string(doing) + " (" + method + " " + path + " on api_endpoint " + api.scheme + "://" +
           api.authority() + "): " + why;
}

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

} // namespace refreshing

Refresher::Refresher(const http::ClientConfig& metrics, FleetOptions options)
    : pid_(util::process_id())
{
    if (metrics.account_id.empty())
        throw util::OptionError(
            "options 'collect_inventory', 'collect_usage', 'collect_capacity' and 'collect_costs' need 'account_id'");
    core_ = std::make_shared<Core>(metrics, std::move(options));
}

Refresher::~Refresher()
{
    if (pid_ != util::process_id()) {
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
        if (core_->running || pid_ != util::process_id())
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
    static const int registered = util::at_fork(lock_registry_for_fork, unlock_registry_after_fork,
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
        if (auto found = r.running[key].lock(); found && found->pid_ == util::process_id())
            return found;
    }
    auto made = std::make_shared<Refresher>(metrics, options); // outside the lock: it may read files
    std::lock_guard lock(r.mutex);
    std::erase_if(r.running, [](const auto& entry) { return entry.second.expired(); });
    if (auto found = r.running[key].lock(); found && found->pid_ == util::process_id())
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
        return held && held->pid_ == util::process_id();
    }));
}

} // namespace fwm::fleet
