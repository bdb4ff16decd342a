// The costs: rated dollars by model and by API key, and the billing summary.
#include "fleet/refresher_core.hpp"

namespace fwm::fleet {

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

} // namespace fwm::fleet
