// The usage: the UTC day's billing usage, and at the first reading of a new
// day the day before once more, for its final totals.
#include "fleet/refresher_core.hpp"

namespace fwm::fleet {

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

} // namespace fwm::fleet
