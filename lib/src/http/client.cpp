#include "http/client.hpp"

#include <future>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fwm/fwm.h"
#include "http/exchange.hpp"
#include "http/gzip.hpp"
#include "http/retry_after.hpp"
#include "http/runtime.hpp"
#include "http/tls_context.hpp"

namespace fwm::http {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr unsigned kMaxRedirects = 3;
constexpr milliseconds kBackoffBase{250};
constexpr milliseconds kBackoffCap{4000};
constexpr milliseconds kMinAttempt{100}; // no point starting an attempt with less time left
constexpr std::chrono::seconds kDefaultRetryAfter{60};
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

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

struct Outcome {
    CollectInfo info;
    std::optional<Response> fresh;
    std::shared_ptr<const CachedResponse> cached;
};

} // namespace

struct Client::State {
    std::shared_ptr<Runtime> runtime; // first: outlives the sockets below
    ClientConfig config;
    asio::ssl::context tls;
    std::shared_ptr<Account> account;
    Connection conn;

    explicit State(ClientConfig c)
        : runtime(Runtime::acquire())
        , config(std::move(c))
        , tls(make_tls_context(config.tls))
        , account(account_for(config.account_key()))
    {
    }

    bool fresh(const std::shared_ptr<const CachedResponse>& cache, Clock::time_point now) const
    {
        return cache && now - cache->fetched < config.refresh_period;
    }

    void serve_cache(Outcome& out, const std::shared_ptr<const CachedResponse>& cache, Clock::time_point now) const
    {
        out.cached = cache;
        out.info.status = FWM_OK;
        out.info.from_cache = true;
        out.info.cache_age_s = seconds(now - cache->fetched);
        out.info.message.clear();
    }

    // The whole collection on the I/O thread: admission, attempts, backoff,
    // redirects. Runs while Client::collect() waits, so `this` outlives it.
    asio::awaitable<Outcome> run(Clock::time_point deadline)
    {
        Outcome out;
        CollectInfo& info = out.info;
        Url url = config.endpoint;
        unsigned redirects = 0;
        Failure last{FWM_ERR_INTERNAL, "no request was made", false};
        auto executor = co_await asio::this_coro::executor;

        for (unsigned attempt = 0;; ++attempt) {
            const auto now = Clock::now();
            const Account::Admission admission = account->admit(config.max_requests_per_minute, now);
            if (admission.verdict != Account::Verdict::send) {
                info.rate_limited = true;
                if (info.attempts > 0) {
                    last.message += " (no request slot left for another attempt)";
                    break;
                }
                if (fresh(admission.cache, now)) {
                    serve_cache(out, admission.cache, now);
                    co_return out;
                }
                info.status = FWM_ERR_RATE_LIMITED;
                info.message =
                    admission.verdict == Account::Verdict::blocked_by_server
                        ? "rate limited by " + who(config.endpoint) + " (HTTP 429): not asking again for " +
                              whole_seconds(admission.wait) + "; make sure only one check scrapes this account"
                        : "rate limited: " + std::to_string(config.max_requests_per_minute) +
                              " requests already sent for this account in the last 60 s (max_requests_per_minute); "
                              "next request possible in " + whole_seconds(admission.wait) +
                              ": raise min_collection_interval or lower the number of instances";
                co_return out;
            }

            ++info.attempts;
            ExchangeResult r = co_await exchange(conn, url, config, tls, deadline);
            account->done(admission.slot, Clock::now());
            if (!r.ok) {
                last = std::move(r.failure);
            } else {
                Response& res = r.response;
                info.http_status = res.status;
                info.wire_bytes = res.wire_bytes;
                info.connection_reused = res.reused_connection;
                const unsigned s = res.status;
                if (s >= 200 && s < 300) {
                    if (s != 200) {
                        last = {FWM_ERR_HTTP_STATUS, "unexpected HTTP " + std::to_string(s) + " from " + who(url) +
                                                         ": expected 200 with metrics", false};
                        break;
                    }
                    out.fresh = std::move(res);
                    info.status = FWM_OK;
                    co_return out;
                }
                if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
                    std::string error;
                    auto next = resolve_location(url, res.location, error);
                    if (res.location.empty() || !next) {
                        last = {FWM_ERR_REDIRECT, "HTTP " + std::to_string(s) + " from " + who(url) +
                                                      " without a usable Location: check openmetrics_endpoint", false};
                        break;
                    }
                    if (!next->same_origin(url)) {
                        // The API key must not travel to another host.
                        last = {FWM_ERR_REDIRECT, "HTTP " + std::to_string(s) + " from " + who(url) +
                                                      " redirects to another host (" + next->scheme + "://" +
                                                      next->authority() +
                                                      "); not following it with the API key: set "
                                                      "openmetrics_endpoint to the final URL if you trust it",
                                false};
                        break;
                    }
                    if (++redirects > kMaxRedirects) {
                        last = {FWM_ERR_REDIRECT, "more than " + std::to_string(kMaxRedirects) + " redirects from " +
                                                      who(url) + ": check openmetrics_endpoint", false};
                        break;
                    }
                    url = *next;
                    continue;
                }
                if (s == 401) {
                    last = {FWM_ERR_HTTP_UNAUTHORIZED, "HTTP 401 from " + who(url) + ": check api_key", false};
                    break;
                }
                if (s == 403) {
                    last = {FWM_ERR_HTTP_FORBIDDEN,
                            "HTTP 403 from " + who(url) + ": the API key may not read this account: check api_key "
                                                          "and account_id", false};
                    break;
                }
                if (s == 404) {
                    last = {FWM_ERR_HTTP_NOT_FOUND,
                            "HTTP 404 from " + who(url) + " for " + url.target + ": check account_id and openmetrics_endpoint",
                            false};
                    break;
                }
                if (s == 429) {
                    const auto wait = parse_retry_after(res.retry_after, std::chrono::system_clock::now());
                    const milliseconds block = wait ? *wait : milliseconds(kDefaultRetryAfter);
                    account->block_until(Clock::now() + block);
                    info.rate_limited = true;
                    if (wait)
                        info.retry_after_s = seconds(*wait);
                    const auto cache = account->cached();
                    if (fresh(cache, Clock::now())) {
                        serve_cache(out, cache, Clock::now());
                        co_return out;
                    }
                    last = {FWM_ERR_RATE_LIMITED,
                            "HTTP 429 from " + who(url) + ": rate limited; not asking again for " + whole_seconds(block) +
                                (wait ? " (Retry-After)" : " (no usable Retry-After)") +
                                "; make sure only one check scrapes this account",
                            false};
                    break;
                }
                if (s >= 500) {
                    last = {FWM_ERR_HTTP_SERVER, "HTTP " + std::to_string(s) + " from " + who(url) +
                                                     ": the service is having trouble; the check tries again next run",
                            true};
                    if (auto wait = parse_retry_after(res.retry_after, std::chrono::system_clock::now())) {
                        // A 503's Retry-After is the least we wait before trying again.
                        if (Clock::now() + *wait + kMinAttempt >= deadline)
                            break;
                        asio::steady_timer t(executor);
                        t.expires_after(*wait);
                        co_await t.async_wait(kAwait);
                    }
                } else {
                    last = {FWM_ERR_HTTP_STATUS,
                            "unexpected HTTP " + std::to_string(s) + " from " + who(url) + ": check openmetrics_endpoint",
                            false};
                    break;
                }
            }

            if (!last.retryable || attempt + 1 >= config.max_attempts)
                break;
            const milliseconds pause = backoff(attempt);
            if (Clock::now() + pause + kMinAttempt >= deadline)
                break;
            asio::steady_timer t(executor);
            t.expires_after(pause);
            co_await t.async_wait(kAwait);
        }

        info.status = last.status;
        info.message = std::move(last.message);
        if (info.status == FWM_ERR_HTTP_SERVER && info.attempts > 1)
            info.message += " (" + std::to_string(info.attempts) + " attempts)";
        co_return out;
    }
};

Client::Client(ClientConfig config)
    : state_(std::make_unique<State>(std::move(config)))
{
}

Client::~Client()
{
    // No collection runs (collect() is synchronous), so the sockets can go
    // from this thread; the runtime stops if this was its last handle.
    state_->conn.close();
}

const ClientConfig& Client::config() const
{
    return state_->config;
}

Collected Client::collect()
{
    std::lock_guard lock(mutex_);
    State& s = *state_;
    const auto started = Clock::now();
    const auto deadline = started + s.config.timeout;

    // Shared with the handler: set_value may still be running when get() returns.
    auto done = std::make_shared<std::promise<Outcome>>();
    auto future = done->get_future();
    asio::co_spawn(s.runtime->context(), s.run(deadline), [done](std::exception_ptr e, Outcome o) {
        if (e) {
            o = Outcome{};
            o.info.status = FWM_ERR_INTERNAL;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                o.info.message = std::string("collection failed unexpectedly: ") + ex.what();
            } catch (...) {
                o.info.message = "collection failed unexpectedly";
            }
        }
        done->set_value(std::move(o));
    });
    // Every step has its own deadline; this only guards against a bug.
    if (future.wait_until(deadline + std::chrono::seconds(2)) == std::future_status::timeout)
        asio::post(s.runtime->context(), [&s] { s.conn.close(); });
    Outcome outcome = future.get();

    Collected out;
    out.info = std::move(outcome.info);
    if (outcome.fresh) {
        // Inflate here, on the caller's thread, so that checks decode in
        // parallel and the I/O thread stays free for the network.
        Response& res = *outcome.fresh;
        auto payload = std::make_shared<CachedResponse>();
        payload->content_type = std::move(res.content_type);
        if (res.content_encoding.empty() || res.content_encoding == "identity") {
            out.info.encoding = "identity";
            payload->body = std::move(res.body);
        } else if (res.content_encoding == "gzip" || res.content_encoding == "x-gzip") {
            out.info.encoding = "gzip";
            std::string error;
            const InflateStatus st = gunzip(res.body, s.config.max_response_bytes, payload->body, error);
            if (st == InflateStatus::too_large) {
                out.info.status = FWM_ERR_RESPONSE_TOO_LARGE;
                out.info.message = "the response from " + s.config.endpoint.authority() +
                                   " inflates past max_response_bytes (" + std::to_string(s.config.max_response_bytes) +
                                   " bytes): raise max_response_bytes if this is real";
            } else if (st == InflateStatus::corrupt) {
                out.info.status = FWM_ERR_PROTOCOL;
                out.info.message = "the gzip body from " + s.config.endpoint.authority() + " is corrupt (" + error +
                                   "): the check retries next run";
            }
        } else {
            out.info.status = FWM_ERR_PROTOCOL;
            out.info.message = "the response from " + s.config.endpoint.authority() + " uses Content-Encoding '" +
                               res.content_encoding.substr(0, 32) + "', which the check does not decode";
        }
        if (out.info.status == FWM_OK) {
            payload->fetched = Clock::now();
            out.info.body_bytes = payload->body.size();
            out.payload = payload;
            s.account->store(std::move(payload));
        }
    } else if (outcome.cached) {
        out.info.body_bytes = outcome.cached->body.size();
        out.payload = std::move(outcome.cached);
    }
    out.info.duration_s = seconds(Clock::now() - started);
    return out;
}

} // namespace fwm::http
