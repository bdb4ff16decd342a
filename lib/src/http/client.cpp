// One job, in one file: a collection's life around exchange.cpp's single
// request (admission by the account's limiter, attempts, retries and
// redirects, the cache of the last answer and its delivery), as named steps.
// Over 500 lines because each step's failure has its own words.
#include "http/client.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fwm/fwm.h"
#include "http/await.hpp"
#include "http/exchange.hpp"
#include "http/gzip.hpp"
#include "http/retry_after.hpp"
#include "http/runtime.hpp"
#include "http/tls_context.hpp"
#include "util/text.hpp"

namespace fwm::http {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr unsigned kMaxRedirects = 3;
constexpr milliseconds kBackoffBase{250};
constexpr milliseconds kBackoffCap{4000};
constexpr milliseconds kMinAttempt{100}; // no point starting an attempt with less time left
constexpr std::chrono::seconds kDefaultRetryAfter{60};

double seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

std::string whole_seconds(milliseconds d)
{
    return std::to_string((d.count() + 999) / 1000) + " s";
}

// Full jitter (uniform in [0, min(cap, base * 2^attempt)]): retries from
// many check instances spread out instead of arriving together.
milliseconds backoff(unsigned attempt)
{
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const auto ceiling = std::min<long long>(kBackoffCap.count(), kBackoffBase.count() << std::min(attempt, 10u));
    return milliseconds(std::uniform_int_distribution<long long>(0, ceiling)(rng));
}

// "the Fireworks API" for the real endpoint, else host:port.
std::string who(const Url& url)
{
    return url.host == "api.fireworks.ai" ? std::string("the Fireworks API") : url.authority();
}

// The exchange's messages say which option to check as the metrics
// handle's (openmetrics_endpoint); a REST API handle's say api_endpoint.
void name_endpoint_option(std::string& message, const ClientConfig& config)
{
    static constexpr std::string_view metrics_option = "openmetrics_endpoint";
    if (config.purpose == Purpose::metrics)
        return;
    for (auto at = message.find(metrics_option); at != std::string::npos; at = message.find(metrics_option, at))
        message.replace(at, metrics_option.size(), config.endpoint_option());
}

struct Outcome {
    CollectInfo info;
    std::optional<Response> fresh;
    std::shared_ptr<const CachedResponse> cached;
};

Outcome failed(int status, std::string message)
{
    Outcome o;
    o.info.status = status;
    o.info.message = std::move(message);
    return o;
}

// Where collect() waits for the I/O thread; filled by whichever comes first
// of the collection's end and cancel().
struct Waiter {
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<Outcome> outcome;
    bool cancelled = false;
};

// What one response means for the collection.
struct Judgement {
    enum Next { ok, follow, retry, stop } next = stop;
    Failure failure;
    Url location;                           // follow
    std::optional<milliseconds> at_least;   // retry: the server's Retry-After

    static Judgement done() { return make(ok, {}); }
    static Judgement halt(int status, std::string message) { return make(stop, {status, std::move(message), false}); }
    static Judgement to(Url where)
    {
        Judgement j = make(follow, {});
        j.location = std::move(where);
        return j;
    }
    static Judgement make(Next next, Failure failure)
    {
        Judgement j;
        j.next = next;
        j.failure = std::move(failure);
        return j;
    }
};

} // namespace

struct Client::State : std::enable_shared_from_this<Client::State> {
    std::shared_ptr<Runtime> runtime; // first: outlives the sockets below
    ClientConfig config;
    std::shared_ptr<asio::ssl::context> tls; // shared with handles of the same TLS settings
    std::shared_ptr<Account> account;
    std::string cache_key;
    std::atomic<bool> cancelled{false};

    std::mutex waiters_mutex;
    std::vector<std::shared_ptr<Waiter>> waiters; // of collect() calls now waiting

    // I/O thread only.
    std::unique_ptr<Connection> idle;    // the kept-alive connection between collections
    std::vector<Interrupt*> running;     // one per collection in flight

    explicit State(ClientConfig c)
        : runtime(Runtime::acquire())
        , config(std::move(c))
        , tls(shared_tls_context(config.tls))
        , account(account_for(config.account_key()))
        , cache_key(cache_key_for(config.endpoint.redacted() + '\n' + config.transport(), config.api_key))
    {
        account->attach();
    }

    ~State() { account->detach(); }

    // A response another handle fetched serves this one only while fresh
    // and within this handle's own max_response_bytes.
    bool fresh(const std::shared_ptr<const CachedResponse>& cache, Clock::time_point now) const
    {
        return cache && config.purpose == Purpose::metrics && now - cache->fetched < config.refresh_period &&
               cache->size() <= config.max_response_bytes;
    }

    void serve_cache(Outcome& out, const std::shared_ptr<const CachedResponse>& cache, Clock::time_point now) const
    {
        out.cached = cache;
        out.info.status = FWM_OK;
        out.info.from_cache = true;
        out.info.cache_age_s = seconds(now - cache->fetched);
        out.info.message.clear();
    }

    std::string limit_message(const Account::Admission& a) const
    {
        if (a.verdict == Account::Verdict::blocked_by_server)
            return "rate limited by " + who(config.endpoint) + " (HTTP 429): not asking again for " +
                   whole_seconds(a.wait) + "; make sure only one check scrapes this account";
        return "rate limited: " + std::to_string(config.max_requests_per_minute) +
               " requests already sent for this account in the last 60 s (max_requests_per_minute); "
               "next request possible in " +
               whole_seconds(a.wait) + ": raise min_collection_interval or lower the number of instances";
    }

    // A 429: block the account for Retry-After (capped), serve the cache if fresh.
    Judgement rate_limited(const Url& url, const Response& res, Outcome& out)
    {
        const auto parsed = parse_retry_after(res.retry_after, std::chrono::system_clock::now());
        const milliseconds cap = config.max_retry_after;
        const milliseconds block = std::min(parsed ? *parsed : milliseconds(kDefaultRetryAfter), cap);
        account->block_until(Clock::now() + block);
        out.info.rate_limited = true;
        out.info.retry_after_s = seconds(block);
        std::string how = parsed ? (*parsed > cap ? " (Retry-After, capped by max_retry_after)" : " (Retry-After)")
                                 : " (no usable Retry-After)";
        return Judgement::halt(FWM_ERR_RATE_LIMITED, "HTTP 429 from " + who(url) +
                                                         ": rate limited; not asking again for " +
                                                         whole_seconds(block) + how +
                                                         "; make sure only one check scrapes this account");
    }

    // What a complete response means: done, follow, retry or stop.
    Judgement judge(const Url& url, const Response& res, Outcome& out)
    {
        const unsigned s = res.status;
        const std::string code = "HTTP " + std::to_string(s) + " from " + who(url);
        if (s == 200)
            return Judgement::done();
        if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
            std::string error;
            auto next = res.location.empty() ? std::nullopt : resolve_location(url, res.location, error);
            if (!next)
                return Judgement::halt(FWM_ERR_REDIRECT,
                                       code + (res.location.empty() ? " without a Location"
                                                                    : " with a Location that " + error) +
                                           ": check " + config.endpoint_option());
            if (!next->same_origin(url)) // the API key must not travel to another host
                return Judgement::halt(FWM_ERR_REDIRECT,
                                       code + " redirects to another host (" + next->scheme + "://" +
                                           next->authority() +
                                           "); not following it with the API key: set " + config.endpoint_option() +
                                           " to the final URL if you trust it");
            return Judgement::to(*next);
        }
        if (s == 401)
            return Judgement::halt(FWM_ERR_HTTP_UNAUTHORIZED, code + ": check api_key");
        if (s == 403)
            return Judgement::halt(FWM_ERR_HTTP_FORBIDDEN,
                                   code + ": the API key may not read this account: check api_key and account_id");
        if (s == 404)
            return Judgement::halt(FWM_ERR_HTTP_NOT_FOUND,
                                   code + " for " + url.target + ": check account_id and " + config.endpoint_option());
        if (s == 429)
            return rate_limited(url, res, out);
        if (s == 407) // only a proxy asks this (an http:// endpoint's proxy answers in its place)
            return Judgement::halt(FWM_ERR_PROXY,
                                   "HTTP 407 from the proxy for " + url.authority() +
                                       ": check the user and password in the proxy URL");
        if (s >= 500 && s < 600) {
            Judgement j = Judgement::make(
                Judgement::retry,
                {FWM_ERR_HTTP_SERVER, code + ": the service is having trouble; the check tries again next run", true});
            if (auto wait = parse_retry_after(res.retry_after, std::chrono::system_clock::now()))
                j.at_least = std::min(*wait, config.max_retry_after);
            return j;
        }
        return Judgement::halt(FWM_ERR_HTTP_STATUS,
                               "unexpected " + code + ": expected 200; check " + config.endpoint_option());
    }

    // Waits `pause` on the I/O thread unless cancel() comes first.
    asio::awaitable<void> sleep(milliseconds pause, Interrupt& interrupt)
    {
        asio::steady_timer t(runtime->context());
        t.expires_after(pause);
        interrupt.timer = &t;
        if (!interrupt.requested)
            co_await t.async_wait(kAwait);
        interrupt.timer = nullptr;
    }
};

namespace {

using State = Client::State;

// Handles that keep an idle connection, oldest first. At most
// Client::kMaxIdleConnections stay open in the process, whatever the number
// of handles: the oldest is closed for a new one (it reconnects when next
// used), so descriptors stay bounded with hundreds of instances.
struct IdleConnections {
    std::mutex mutex;
    std::deque<std::weak_ptr<State>> order;
};

IdleConnections& idle_connections()
{
    static IdleConnections& i = *new IdleConnections(); // never destroyed: handles may outlive static destruction
    return i;
}

// On the I/O thread, when `s` has just kept its connection.
void keep_idle(State& s)
{
    auto& pool = idle_connections();
    std::vector<std::shared_ptr<State>> over; // released outside the lock
    std::lock_guard lock(pool.mutex);
    const State* self = &s;
    std::erase_if(pool.order, [&](const std::weak_ptr<State>& w) {
        const auto held = w.lock();
        // Gone, the same handle again, another process's runtime (a fork's
        // leftover), or no longer idle (its connection in use or closed):
        // forgotten, so that the cap counts only connections kept idle.
        return !held || held.get() == self || held->runtime != s.runtime || !held->idle;
    });
    pool.order.push_back(s.weak_from_this());
    while (pool.order.size() > Client::kMaxIdleConnections) {
        if (auto oldest = pool.order.front().lock()) {
            if (oldest->idle) // only the I/O thread touches it, and this is that thread
                oldest->idle->close();
            oldest->idle.reset();
            over.push_back(std::move(oldest));
        }
        pool.order.pop_front();
    }
}

// What a collection carries from one attempt to the next.
struct Attempts {
    Url url;
    unsigned redirects = 0;
    Failure last{FWM_ERR_INTERNAL, "no request was made", false};
    bool failed = false; // `last` holds a failure that a retry would answer
};

// What a step tells the loop: go on (send, or follow a redirect), retry
// after the pause, the outcome is ready to hand back, or give up with the
// last failure.
enum class Step { go_on, retry, answered, give_up };

// Admission: a slot in the account's window, else the fresh cache another
// handle left, else the limit's message.
Step admit(State& s, Attempts& a, Outcome& out, std::uint64_t& slot)
{
    const auto now = Clock::now();
    const Account::Admission admission = s.account->admit(s.config.max_requests_per_minute, now, s.cache_key);
    if (admission.verdict == Account::Verdict::send) {
        slot = admission.slot;
        return Step::go_on;
    }
    out.info.rate_limited = true;
    if (s.fresh(admission.cache, now)) {
        s.serve_cache(out, admission.cache, now);
        return Step::answered;
    }
    if (a.failed) { // a retry the limit stops: the failure it retried is the news
        a.last.message += " (no request slot left for another attempt)";
        return Step::give_up;
    }
    // The first request, or the next hop of a redirect.
    out.info.status = FWM_ERR_RATE_LIMITED;
    out.info.message = s.limit_message(admission);
    return Step::answered;
}

// One request in the admitted slot, and what its answer means.
asio::awaitable<Judgement> attempt(State& s, Connection& conn, const Url& url, Clock::time_point deadline,
                                   Interrupt& interrupt, const std::string& post_json, std::uint64_t slot,
                                   Outcome& out)
{
    CollectInfo& info = out.info;
    ++info.attempts;
    ExchangeResult r = co_await exchange(conn, url, s.config, *s.tls, s.runtime, deadline, interrupt, post_json);
    s.account->done(slot, Clock::now());
    if (!r.ok) {
        name_endpoint_option(r.failure.message, s.config);
        co_return Judgement::make(r.failure.retryable ? Judgement::retry : Judgement::stop, std::move(r.failure));
    }
    info.http_status = r.response.status;
    info.wire_bytes = r.response.wire_bytes;
    info.connection_reused = r.response.reused_connection;
    Judgement j = s.judge(url, r.response, out);
    if (j.next == Judgement::ok)
        out.fresh = std::move(r.response);
    co_return j;
}

// After an answer that is not a success: a 429 served from a fresh cache, a
// redirect followed, or the failure kept and, when a retry may answer it
// in time, the pause before it.
Step after_failure(State& s, Attempts& a, Judgement& j, unsigned number, bool posting, Clock::time_point deadline,
                   Outcome& out, milliseconds& pause)
{
    pause = milliseconds(0);
    if (j.failure.status == FWM_ERR_RATE_LIMITED) {
        const auto cache = s.account->cached(s.cache_key);
        if (s.fresh(cache, Clock::now())) {
            s.serve_cache(out, cache, Clock::now());
            return Step::answered;
        }
    }
    if (j.next == Judgement::follow && posting) {
        // A query is not sent on to wherever a redirect points (a 303
        // would turn it into a GET, a 307 repeat it elsewhere).
        a.last = {FWM_ERR_REDIRECT,
                  "HTTP " + std::to_string(out.info.http_status) + " redirect answering a POST to " + who(a.url) +
                      ": not followed; check " + s.config.endpoint_option(),
                  false};
        return Step::give_up;
    }
    if (j.next == Judgement::follow) {
        if (++a.redirects > kMaxRedirects) {
            a.last = {FWM_ERR_REDIRECT,
                      "more than " + std::to_string(kMaxRedirects) + " redirects from " + who(a.url) + ": check " +
                          s.config.endpoint_option(),
                      false};
            return Step::give_up;
        }
        a.url = j.location;
        a.failed = false;
        return Step::go_on;
    }
    a.last = std::move(j.failure);
    a.failed = true;
    if (j.next == Judgement::stop || number + 1 >= s.config.max_attempts)
        return Step::give_up;
    // A 503's Retry-After is the least we wait before trying again.
    pause = std::max(backoff(number), j.at_least.value_or(milliseconds(0)));
    return Clock::now() + pause + kMinAttempt >= deadline ? Step::give_up : Step::retry;
}

// The whole collection on the I/O thread: admission, attempts, backoff,
// redirects. Holds the state, so it may outlive the collect() that started it.
asio::awaitable<Outcome> run(std::shared_ptr<State> s, Clock::time_point deadline, std::string target,
                            std::string post_json)
{
    Interrupt interrupt;
    interrupt.requested = s->cancelled.load();
    s->running.push_back(&interrupt);
    std::unique_ptr<Connection> conn = s->idle ? std::move(s->idle) : std::make_unique<Connection>();
    struct Finish { // whatever way the coroutine leaves
        State& s;
        Interrupt& interrupt;
        std::unique_ptr<Connection>& conn;
        ~Finish()
        {
            s.running.erase(std::find(s.running.begin(), s.running.end(), &interrupt));
            if (!s.idle && !interrupt.requested && conn->open()) {
                s.idle = std::move(conn); // kept alive for the next collection
                keep_idle(s);
            } else {
                conn->close();
            }
        }
    } finish{*s, interrupt, conn};

    Outcome out;
    Attempts a{s->config.endpoint};
    if (!target.empty())
        a.url.target = std::move(target);
    for (unsigned n = 0;; ++n) {
        if (interrupt.requested) {
            a.last = {FWM_ERR_CANCELLED, "the collection was cancelled (the check is being unscheduled)", false};
            break;
        }
        std::uint64_t slot = 0;
        const Step admitted = admit(*s, a, out, slot);
        if (admitted == Step::answered)
            co_return out;
        if (admitted == Step::give_up)
            break;
        Judgement j = co_await attempt(*s, *conn, a.url, deadline, interrupt, post_json, slot, out);
        if (j.next == Judgement::ok) {
            out.info.status = FWM_OK;
            co_return out;
        }
        milliseconds pause;
        const Step next = after_failure(*s, a, j, n, !post_json.empty(), deadline, out, pause);
        if (next == Step::answered)
            co_return out;
        if (next == Step::give_up)
            break;
        if (next == Step::retry)
            co_await s->sleep(pause, interrupt);
    }

    out.info.status = a.last.status;
    out.info.message = std::move(a.last.message);
    if (out.info.status == FWM_ERR_HTTP_SERVER && out.info.attempts > 1)
        out.info.message += " (" + std::to_string(out.info.attempts) + " attempts)";
    co_return out;
}

// Inflates the fresh body on the caller's thread, so that checks decode in
// parallel and the I/O thread stays free for the network.
void decode(Response& res, const ClientConfig& config, Collected& out, CachedResponse& payload)
{
    const std::string& encoding = res.content_encoding;
    if (encoding.empty() || encoding == "identity") {
        out.info.encoding = "identity";
        payload.body = std::move(res.body);
    } else if (encoding == "gzip" || encoding == "x-gzip") {
        out.info.encoding = "gzip";
        std::string error;
        const InflateStatus st = gunzip(res.body, config.max_response_bytes, payload.body, error);
        if (st == InflateStatus::too_large) {
            out.info.status = FWM_ERR_RESPONSE_TOO_LARGE;
            out.info.message = "the response from " + config.endpoint.authority() +
                               " inflates past max_response_bytes (" + std::to_string(config.max_response_bytes) +
                               " bytes): raise max_response_bytes if this is real";
        } else if (st == InflateStatus::corrupt) {
            out.info.status = FWM_ERR_PROTOCOL;
            out.info.message = "the gzip body from " + config.endpoint.authority() + " is corrupt (" +
                               util::clean_text(error, 64) + "): the check retries next run";
        }
    } else {
        out.info.status = FWM_ERR_PROTOCOL;
        out.info.message = "the response from " + config.endpoint.authority() + " uses Content-Encoding '" +
                           util::clean_text(encoding, 32) + "', which the check does not decode";
    }
}

// A fresh answer: decoded for this collection, and kept as the account's
// cache (metrics only: the REST answers are read once).
void deliver_fresh(State& s, Response& fresh, Collected& out)
{
    auto payload = std::make_shared<CachedResponse>();
    payload->content_type = fresh.content_type;
    decode(fresh, s.config, out, *payload);
    if (out.info.status != FWM_OK)
        return;
    payload->fetched = Clock::now();
    out.info.body_bytes = payload->body.size();
    out.info.content_type = payload->content_type;
    out.payload = payload;
    if (s.config.purpose == Purpose::metrics)
        s.account->store(s.cache_key, cache_entry(std::move(payload), std::move(fresh.body), out.info.encoding == "gzip"));
}

// The account's cached answer, inflated again when it was kept compressed.
void deliver_cached(State& s, std::shared_ptr<const CachedResponse> cached, Collected& out)
{
    if (!cached->gzipped) {
        out.info.body_bytes = cached->body.size();
        out.info.content_type = cached->content_type;
        out.payload = std::move(cached);
        return;
    }
    auto payload = std::make_shared<CachedResponse>();
    std::string error;
    if (gunzip(cached->body, s.config.max_response_bytes, payload->body, error) != InflateStatus::ok) {
        // It inflated once already: only memory can fail here.
        out.info.status = FWM_ERR_OUT_OF_MEMORY;
        out.info.message = "the cached response could not be inflated again: " + util::clean_text(error, 64);
        return;
    }
    payload->content_type = cached->content_type;
    payload->fetched = cached->fetched;
    out.info.body_bytes = payload->body.size();
    out.info.content_type = payload->content_type;
    out.payload = std::move(payload);
}

// What a finished collection hands over.
void deliver(State& s, Outcome outcome, Clock::time_point started, Collected& out)
{
    out.info = std::move(outcome.info);
    if (outcome.fresh)
        deliver_fresh(s, *outcome.fresh, out);
    else if (outcome.cached)
        deliver_cached(s, std::move(outcome.cached), out);
    out.info.duration_s = seconds(Clock::now() - started);
}

// Turns what escaped the collection's coroutine into an outcome.
Outcome from_exception(std::exception_ptr e, Outcome o)
{
    if (!e)
        return o;
    o = failed(FWM_ERR_INTERNAL, "collection failed unexpectedly");
    try {
        std::rethrow_exception(e);
    } catch (const std::bad_alloc&) {
        o = failed(FWM_ERR_OUT_OF_MEMORY, "out of memory during the collection");
    } catch (const std::exception& ex) {
        o.info.message += std::string(": ") + util::clean_text(ex.what(), 200);
    } catch (...) {
    }
    return o;
}

} // namespace

Client::Client(ClientConfig config)
    : state_(std::make_shared<State>(std::move(config)))
{
}

Client::~Client()
{
    if (state_->runtime->forked()) {
        // In a child of fork(): the state's sockets and runtime are the
        // parent's, and tearing them down would touch shared descriptors and
        // locks. Leave them.
        new std::shared_ptr<State>(std::move(state_));
        return;
    }
    cancel();
    // The I/O thread usually lets go of the state within microseconds: then
    // it goes here, on the caller's thread, and the runtime with it when this
    // was the last handle, so that nothing of ours still runs when the
    // process exits (OpenSSL's exit-time cleanup must not meet a TLS stream
    // being closed). Work that runs on to its deadline is left to finish.
    // On the I/O thread itself (the last holder let go from a handler) there
    // is nothing to wait for: that thread is this one.
    if (std::this_thread::get_id() == state_->runtime->thread_id())
        return;
    const auto until = Clock::now() + kTeardownWait;
    while (state_.use_count() > 1 && Clock::now() < until)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
}

const ClientConfig& Client::config() const
{
    return state_->config;
}

void Client::cancel() noexcept
{
    try {
        if (state_->cancelled.exchange(true) || state_->runtime->forked())
            return;
        {
            std::lock_guard lock(state_->waiters_mutex);
            for (auto& w : state_->waiters) {
                std::lock_guard wl(w->mutex);
                w->cancelled = true;
                w->cv.notify_all();
            }
        }
        // Sockets and timers belong to the I/O thread: interrupt them there.
        asio::post(state_->runtime->context(), [s = state_] {
            for (Interrupt* i : s->running)
                i->fire();
            if (s->idle)
                s->idle->close();
        });
    } catch (...) {
        // Out of memory for the post: the deadline still ends the work.
    }
}

void Client::collect_async(std::string target, std::function<void(Collected)> done)
{
    collect_async(std::move(target), std::string(), std::move(done));
}

void Client::collect_async(std::string target, std::string post_json, std::function<void(Collected)> done)
{
    const std::shared_ptr<State> s = state_;
    const auto started = Clock::now();
    if (s->runtime->forked()) {
        Collected out;
        out.info = failed(FWM_ERR_INTERNAL, "this client was created before fork(): create a new one").info;
        done(std::move(out));
        return;
    }
    asio::co_spawn(
        s->runtime->context(), run(s, started + s->config.timeout, std::move(target), std::move(post_json)),
        [s, started, done = std::move(done)](std::exception_ptr e, Outcome o) mutable {
            // Decoded on the worker: a large answer must not hold up the
            // I/O thread that every handle's network work shares.
            auto finish = [s, started, done = std::move(done), o = from_exception(e, std::move(o))]() mutable {
                Collected out;
                try {
                    deliver(*s, std::move(o), started, out);
                } catch (const std::bad_alloc&) {
                    out.payload.reset();
                    out.info = failed(FWM_ERR_OUT_OF_MEMORY, "out of memory decoding the answer").info;
                }
                done(std::move(out));
            };
            asio::post(s->runtime->worker(), std::move(finish));
        });
}

Collected Client::collect()
{
    return collect(std::string());
}

Collected Client::collect(const std::string& target)
{
    const std::shared_ptr<State> s = state_;
    const auto started = Clock::now();
    const auto deadline = started + s->config.timeout;
    Collected out;
    if (s->runtime->forked()) {
        out.info = failed(FWM_ERR_INTERNAL, "this client was created before fork(): create a new one").info;
        return out;
    }

    auto waiter = std::make_shared<Waiter>();
    {
        std::lock_guard lock(s->waiters_mutex);
        s->waiters.push_back(waiter);
    }
    struct Unregister {
        State& s;
        const std::shared_ptr<Waiter>& w;
        ~Unregister()
        {
            std::lock_guard lock(s.waiters_mutex);
            s.waiters.erase(std::find(s.waiters.begin(), s.waiters.end(), w));
        }
    } unregister{*s, waiter};

    asio::co_spawn(s->runtime->context(), run(s, deadline, target, std::string()), [waiter](std::exception_ptr e, Outcome o) {
        o = from_exception(e, std::move(o));
        std::lock_guard lock(waiter->mutex);
        waiter->outcome = std::move(o);
        waiter->cv.notify_all();
    });

    Outcome outcome;
    {
        std::unique_lock lock(waiter->mutex);
        const bool ended = waiter->cv.wait_until(lock, deadline + kReportMargin, [&] {
            return waiter->outcome.has_value() || waiter->cancelled || s->cancelled.load();
        });
        if (waiter->outcome)
            outcome = std::move(*waiter->outcome);
        else if (ended)
            outcome = failed(FWM_ERR_CANCELLED, "the collection was cancelled (the check is being unscheduled)");
        else if (Runtime::child_of_fork())
            outcome = failed(FWM_ERR_TIMEOUT, "the collection did not end within timeout (" +
                                                  whole_seconds(s->config.timeout) +
                                                  "); this process was forked while the check was busy, which can "
                                                  "leave OpenSSL or the C library locked here: restart the process");
        else
            outcome = failed(FWM_ERR_TIMEOUT, "the collection did not end within timeout (" +
                                                  whole_seconds(s->config.timeout) +
                                                  "); it was abandoned: check the network, or raise timeout");
    }

    deliver(*s, std::move(outcome), started, out);
    return out;
}

} // namespace fwm::http
