// The inventory: every page of the deployments listing, the tags it gives
// each deployment, and why a FAILED one failed.
#include "fleet/refresher_core.hpp"

namespace fwm::fleet {

namespace {

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

} // namespace fwm::fleet
