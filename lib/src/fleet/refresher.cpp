#include "fleet/refresher.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "fleet/rfc3339.hpp"
#include "fwm/fwm.h"
#include "http/client.hpp"
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
// REST answers are small: a page of 200 deployments is tens of kilobytes.
constexpr std::size_t kMaxAnswerBytes = 32u << 20;

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

Refresher::Refresher(const http::ClientConfig& metrics, FleetOptions options)
    : options_(std::move(options))
    , account_(metrics.account_id)
{
    if (account_.empty())
        throw util::OptionError("options 'collect_inventory' and 'collect_usage' need 'account_id'");
    http::ClientConfig api = metrics;
    api.purpose = http::Purpose::api;
    api.endpoint = options_.api_endpoint;
    api.max_requests_per_minute = options_.max_requests_per_minute;
    api.max_response_bytes = std::min(metrics.max_response_bytes, kMaxAnswerBytes);
    client_ = std::make_unique<http::Client>(std::move(api));
}

Refresher::~Refresher()
{
    cancel();
    if (thread_.joinable())
        thread_.join();
}

void Refresher::cancel() noexcept
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    client_->cancel();
}

void Refresher::poke()
{
    std::lock_guard lock(mutex_);
    if (stopping_)
        return;
    const auto now = SteadyClock::now();
    const bool due = (options_.inventory && now >= next_inventory_) || (options_.usage && now >= next_usage_);
    if (!due)
        return;
    if (!thread_.joinable())
        thread_ = std::thread([this] { run(); });
    poked_ = true;
    wake_.notify_all();
}

Snapshot Refresher::snapshot() const
{
    std::lock_guard lock(mutex_);
    return snapshot_;
}

void Refresher::run()
{
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return poked_ || stopping_; });
            if (stopping_)
                return;
            poked_ = false;
        }
        try {
            if (options_.inventory && SteadyClock::now() >= next_inventory_)
                refresh_inventory();
            if (options_.usage && SteadyClock::now() >= next_usage_)
                refresh_usage();
        } catch (...) {
            // Out of memory, or a bug: the next poke tries again; the check
            // reports the attempt that recorded the failure.
            std::lock_guard lock(mutex_);
            next_inventory_ = next_usage_ = SteadyClock::now() + kRetryAfterFailure;
        }
    }
}

namespace {

// Records how an attempt ended and when the next one is due.
void finish(Attempt& a, int status, std::string message, double started, unsigned requests, std::uint64_t sequence,
            double retry_after_s)
{
    a.retry_after_s = retry_after_s;
    a.status = status;
    a.message = util::clean_text(message, 1024);
    a.at = wall_now();
    a.duration_s = a.at - started;
    a.requests = requests;
    a.sequence = sequence;
}

} // namespace

void Refresher::refresh_inventory()
{
    const double started = wall_now();
    auto inventory = std::make_shared<Inventory>();
    unsigned requests = 0;
    int status = FWM_OK;
    double retry_after_s = -1;
    std::string message;
    std::string token;
    PageLimits limits;
    const std::size_t max_pages = options_.max_deployments / kPageSize + 2;
    for (;;) {
        std::string target = "/v1/accounts/" + account_ + "/deployments?pageSize=" + std::to_string(kPageSize);
        if (!token.empty())
            target += "&pageToken=" + percent_encode(token);
        const http::Collected got = client_->collect(target);
        requests += got.info.attempts;
        if (got.info.status != FWM_OK) {
            status = got.info.status;
            retry_after_s = got.info.retry_after_s;
            message = "listing deployments: " + got.info.message;
            break;
        }
        DeploymentsPage page;
        try {
            page = parse_deployments_page(got.payload->body, limits);
        } catch (const std::runtime_error& e) {
            status = FWM_ERR_PROTOCOL;
            message = std::string("listing deployments: ") + e.what() + " (page " +
                      std::to_string(inventory->pages + 1) + ")";
            break;
        }
        ++inventory->pages;
        inventory->skipped += page.skipped;
        inventory->problems.count += page.problems.count;
        for (auto& p : page.problems.first)
            if (inventory->problems.first.size() < Problems::kKept)
                inventory->problems.first.push_back(std::move(p));
        for (auto& d : page.deployments) {
            if (inventory->deployments.size() == options_.max_deployments) {
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
    if (inventory->skipped && inventory->deployments.size() == options_.max_deployments)
        inventory->problems.add("more than " + std::to_string(options_.max_deployments) +
                                " deployments (max_deployments); the rest are left out");
    std::shared_ptr<const mapping::JoinedTags> tags;
    if (status == FWM_OK) {
        auto& ds = inventory->deployments;
        std::stable_sort(ds.begin(), ds.end(), [](const Deployment& a, const Deployment& b) { return a.id < b.id; });
        const auto dup = std::unique(ds.begin(), ds.end(), [](const Deployment& a, const Deployment& b) { return a.id == b.id; });
        if (dup != ds.end()) {
            inventory->problems.add(std::to_string(ds.end() - dup) + " deployments listed twice; the first kept");
            ds.erase(dup, ds.end());
        }
        inventory->fetched_at = wall_now();
        if (options_.inventory_tags) {
            auto join = std::make_shared<mapping::JoinedTags>();
            for (const auto& d : ds)
                (*join)[d.id] = deployment_tags(d, options_);
            tags = std::move(join);
        }
    }
    std::lock_guard lock(mutex_);
    Attempt& a = snapshot_.inventory_attempt;
    finish(a, status, std::move(message), started, requests, a.sequence + 1, retry_after_s);
    if (status == FWM_OK) {
        snapshot_.inventory = std::move(inventory);
        snapshot_.tags = std::move(tags);
    }
    next_inventory_ = SteadyClock::now() + next_after(status, options_.inventory_interval, retry_after_s);
}

namespace {

// One day's usage: [day_start, next day) in UTC.
struct UsageRead {
    int status = FWM_OK;
    std::string message;
    unsigned requests = 0;
    double retry_after_s = -1;
    std::shared_ptr<UsageDay> usage;
};

UsageRead read_usage_day(http::Client& client, const std::string& account, std::int64_t some_second)
{
    UsageRead r;
    const std::string day_start = utc_day_start(some_second), day_end = utc_next_day_start(some_second);
    const std::string target = "/v1/accounts/" + account + "/billingUsage?startTime=" + percent_encode(day_start) +
                               "&endTime=" + percent_encode(day_end);
    const http::Collected got = client.collect(target);
    r.requests = got.info.attempts;
    r.status = got.info.status;
    r.retry_after_s = got.info.retry_after_s;
    if (r.status != FWM_OK) {
        r.message = "reading billing usage: " + got.info.message;
        return r;
    }
    try {
        auto usage = std::make_shared<UsageDay>();
        usage->usage = parse_usage(got.payload->body, *parse_rfc3339(day_start), *parse_rfc3339(day_end));
        usage->day = day_start.substr(0, 10);
        usage->fetched_at = wall_now();
        r.usage = std::move(usage);
    } catch (const std::runtime_error& e) {
        r.status = FWM_ERR_PROTOCOL;
        r.message = std::string("reading billing usage: ") + e.what();
    }
    return r;
}

} // namespace

void Refresher::refresh_usage()
{
    const double started = wall_now();
    const auto now = static_cast<std::int64_t>(options_.wall_clock ? options_.wall_clock() : started);
    std::shared_ptr<const UsageDay> last;
    {
        std::lock_guard lock(mutex_);
        last = snapshot_.usage;
    }
    UsageRead today = read_usage_day(*client_, account_, now);
    unsigned requests = today.requests;
    if (today.usage && last) {
        if (last->day == today.usage->day) {
            today.usage->day_before = last->day_before; // kept for the whole day
        } else if (auto when = parse_rfc3339(last->day + "T12:00:00Z")) {
            // The first reading of a new day: the day before once more, for its final totals.
            UsageRead before = read_usage_day(*client_, account_, static_cast<std::int64_t>(*when));
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
    std::lock_guard lock(mutex_);
    Attempt& a = snapshot_.usage_attempt;
    finish(a, today.status, std::move(today.message), started, requests, a.sequence + 1, today.retry_after_s);
    if (today.status == FWM_OK)
        snapshot_.usage = std::move(today.usage);
    next_usage_ = SteadyClock::now() + next_after(today.status, options_.usage_interval, today.retry_after_s);
}

} // namespace fwm::fleet
