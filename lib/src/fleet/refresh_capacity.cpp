// The capacity: the account's state, its quotas, and the request envelope
// they imply (10 a minute for an account without credits).
#include "fleet/refresher_core.hpp"

namespace fwm::fleet {

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

} // namespace fwm::fleet
