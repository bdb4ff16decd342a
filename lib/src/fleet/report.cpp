// One job, in one file: the summary's "fleet" object, each part (inventory,
// usage, capacity, costs) with its attempt, written with one RapidJSON writer.
// Over 500 lines because the object has many fields, each written once here.
#include "fleet/report.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <type_traits>
#include <string_view>

#include <rapidjson/writer.h>

#include "mapping/joined_tags.hpp"
#include "util/json_sink.hpp"
#include "util/model_tag.hpp"
#include "util/status.hpp"

namespace fwm::fleet {

namespace {

// A deployment's tags on the fleet data: its id and model, as its metrics
// carry them, and the inventory's tags by join_tags' rule (the instance's
// tags, which the check adds to everything, win by name, as on the metrics).
std::vector<std::string> tags_of(const Deployment& d, const FleetOptions& o)
{
    std::vector<std::string> out = {"deployment_id:" + d.id};
    const std::string_view model = util::model_tag_of(d.base_model);
    if (!model.empty())
        out.push_back("model:" + std::string(model));
    const std::vector<std::string> inventory = deployment_tags(d, o);
    out.reserve(out.size() + inventory.size()); // `all` points into `out`: it must not move
    std::vector<std::string_view> all(out.begin(), out.end());
    all.insert(all.end(), o.instance_tags.begin(), o.instance_tags.end());
    const std::size_t named = all.size();
    mapping::join_tags(all, named, inventory);
    for (std::size_t i = named; i < all.size(); ++i)
        out.emplace_back(all[i]); // the joined ones, from `inventory`
    return out;
}

using Writer = util::JsonWriter;

// JSON has no infinities or NaN: one would leave the summary unreadable
// (Writer::Double writes nothing), so such a value is written as null.
void number(Writer& w, double v)
{
    if (std::isfinite(v))
        w.Double(v);
    else
        w.Null();
}

void text(Writer& w, std::string_view s)
{
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void count_or_null(Writer& w, const char* key, const std::optional<std::uint64_t>& v)
{
    w.Key(key);
    if (v)
        w.Uint64(*v);
    else
        w.Null();
}

void attempt(Writer& w, const Attempt& a)
{
    w.Key("attempt");
    if (a.status < 0) {
        w.Null();
        return;
    }
    w.StartObject();
    w.Key("status");
    w.Int(a.status);
    w.Key("status_name");
    w.String(util::status_name(a.status));
    w.Key("message");
    text(w, a.message);
    w.Key("at");
    number(w, a.at);
    w.Key("duration_s");
    number(w, a.duration_s);
    w.Key("requests");
    w.Uint(a.requests);
    w.Key("sequence");
    w.Uint64(a.sequence);
    w.EndObject();
}

void problems(Writer& w, const Problems& p)
{
    w.Key("problems");
    w.StartObject();
    w.Key("count");
    w.Uint64(p.count);
    w.Key("first");
    w.StartArray();
    for (const auto& s : p.first)
        text(w, s);
    w.EndArray();
    w.EndObject();
}

// What one deployment costs an hour, and where its price came from.
struct Estimate {
    std::optional<double> per_hour;
    const char* source = "";
};

Estimate estimate(const Deployment& d, const FleetOptions& o, const std::map<std::string, Price>& billed)
{
    Estimate e;
    if (!d.replicas || !d.accelerator_count || d.accelerator_type.empty())
        return e;
    const double accelerators = static_cast<double>(*d.replicas) * static_cast<double>(*d.accelerator_count);
    const auto configured = std::lower_bound(o.accelerator_prices.begin(), o.accelerator_prices.end(),
                                             std::make_pair(d.accelerator_type, 0.0),
                                             [](const auto& a, const auto& b) { return a.first < b.first; });
    if (configured != o.accelerator_prices.end() && configured->first == d.accelerator_type) {
        e.per_hour = accelerators * configured->second;
        e.source = "config";
    } else if (const auto b = billed.find(d.accelerator_type); b != billed.end() && b->second.currency == "USD") {
        e.per_hour = accelerators * b->second.per_hour;
        e.source = "billing";
    }
    return e;
}

void optional_number(Writer& w, const char* key, const std::optional<double>& v)
{
    w.Key(key);
    if (v)
        number(w, *v);
    else
        w.Null();
}

// The inventory's replica count, else the metrics' deployment_replicas
// gauge; a deployment failing, being made or going away is not idle.
void scaled_to_zero(Writer& w, const Deployment& d, const Observed& metrics)
{
    const bool settled = !(d.state == "FAILED" || d.state == "CREATING" || d.state == "DELETING" || d.state == "DELETED");
    w.Key("scaled_to_zero");
    if (d.replicas)
        w.Bool(*d.replicas == 0 && settled);
    else if (metrics.replicas)
        w.Bool(*metrics.replicas == 0 && settled);
    else
        w.Null();
}

// Dollars per hour, and per million prompt tokens at the run's token rate.
void cost_estimates(Writer& w, const Estimate& e, const Observed& metrics)
{
    optional_number(w, "estimated_cost_per_hour", e.per_hour);
    w.Key("price_source");
    w.String(e.source);
    std::optional<double> rate, per_million;
    if (metrics.prompt_tokens_per_s && std::isfinite(*metrics.prompt_tokens_per_s))
        rate = metrics.prompt_tokens_per_s;
    if (e.per_hour && *e.per_hour > 0 && rate && *rate > 0) // nothing to say of a deployment that costs nothing now
        per_million = *e.per_hour / (*rate * 3600 / 1e6);
    optional_number(w, "prompt_tokens_per_s", rate);
    optional_number(w, "estimated_cost_per_million_tokens", per_million);
}

void deployment(Writer& w, const Deployment& d, const FleetOptions& o, const std::map<std::string, Price>& billed,
                const std::map<std::string, Observed>& observed)
{
    const auto seen = observed.find(d.id);
    const Observed none;
    const Observed& metrics = seen == observed.end() ? none : seen->second;
    w.StartObject();
    const std::pair<const char*, const std::string*> texts[] = {
        {"id", &d.id},
        {"display_name", &d.display_name},
        {"state", &d.state},
        {"status_code", &d.status_code},
        {"status_message", &d.status_message},
        {"accelerator_type", &d.accelerator_type},
        {"region", &d.region},
        {"base_model", &d.base_model},
    };
    for (const auto& [key, value] : texts) {
        w.Key(key);
        text(w, *value);
    }
    w.Key("model_tag");
    text(w, util::model_tag_of(d.base_model));
    count_or_null(w, "replicas", d.replicas);
    count_or_null(w, "desired_replicas", d.desired_replicas);
    count_or_null(w, "min_replicas", d.min_replicas);
    count_or_null(w, "max_replicas", d.max_replicas);
    count_or_null(w, "accelerator_count", d.accelerator_count);
    count_or_null(w, "ready_replicas", d.ready_replicas);
    count_or_null(w, "pending_scheduling_replicas", d.pending_scheduling_replicas);
    count_or_null(w, "downloading_model_replicas", d.downloading_model_replicas);
    count_or_null(w, "initializing_replicas", d.initializing_replicas);
    w.Key("create_time");
    if (d.create_time)
        number(w, *d.create_time);
    else
        w.Null();
    w.Key("tags");
    w.StartArray();
    for (const auto& t : tags_of(d, o))
        text(w, t);
    w.EndArray();
    w.Key("termination_message");
    text(w, d.termination_message);
    scaled_to_zero(w, d, metrics);
    cost_estimates(w, estimate(d, o, billed), metrics);
    w.EndObject();
}

void money(Writer& w, const char* key, const std::optional<Money>& m)
{
    w.Key(key);
    if (!m) {
        w.Null();
        return;
    }
    w.StartObject();
    w.Key("currency");
    text(w, m->currency());
    w.Key("amount");
    number(w, m->value());
    w.EndObject();
}

// Accelerators the inventory shows running per (accelerator, region) of the
// quotas' names.
std::map<std::pair<std::string, std::string>, double> accelerators_in_use(const Inventory& inv)
{
    std::map<std::pair<std::string, std::string>, double> out;
    for (const auto& d : inv.deployments) {
        const std::string family = accelerator_family(d.accelerator_type), region = region_slug(d.region);
        if (family.empty() || region.empty() || !d.replicas || !d.accelerator_count)
            continue;
        out[{family, region}] += static_cast<double>(*d.replicas) * static_cast<double>(*d.accelerator_count);
    }
    return out;
}

void account(Writer& w, const AccountInfo& a)
{
    w.StartObject();
    const std::pair<const char*, const std::string*> texts[] = {
        {"state", &a.state},
        {"suspend_state", &a.suspend_state},
        {"status_code", &a.status_code},
        {"status_message", &a.status_message},
        {"display_name", &a.display_name},
        {"account_type", &a.account_type},
    };
    for (const auto& [key, value] : texts) {
        w.Key(key);
        text(w, *value);
    }
    w.Key("suspended"); // the one rule of which suspend states are a suspension
    w.Bool(suspended(a.suspend_state));
    w.EndObject();
}

using InUse = std::map<std::pair<std::string, std::string>, double>; // (family, region) -> accelerators

// One quota; `in_use` only from a complete listing (a cut one says nothing
// of what it left out).
void quota(Writer& w, const Quota& q, const InUse* in_use)
{
    const auto gpu = gpu_quota(q.id);
    w.StartObject();
    w.Key("id");
    text(w, q.id);
    optional_number(w, "limit", q.limit);
    // An "unlimited" sentinel is no number to chart.
    optional_number(w, "max_approved", q.max_approved && !unlimited(*q.max_approved) ? q.max_approved : std::nullopt);
    optional_number(w, "usage", q.usage);
    w.Key("unlimited");
    w.Bool(q.limit && unlimited(*q.limit));
    w.Key("accelerator");
    text(w, gpu ? gpu->first : "");
    w.Key("region");
    text(w, gpu ? gpu->second : "");
    w.Key("accelerators_in_use");
    if (gpu && in_use) {
        const auto it = in_use->find(*gpu);
        number(w, it == in_use->end() ? 0.0 : it->second);
    } else {
        w.Null();
    }
    w.EndObject();
}

// The monthly spend against its limit. The spend of a reading from an
// earlier month (a listing that failed or was held since) is not this
// month's: none rather than a wrong one.
void spend(Writer& w, const Quota* q, double read_at, double now)
{
    w.Key("spend");
    if (!q || !q->usage || utc_month(read_at) != utc_month(now)) {
        w.Null();
        return;
    }
    const bool none = !q->limit || unlimited(*q->limit);
    w.StartObject();
    w.Key("month_to_date");
    number(w, *q->usage);
    optional_number(w, "limit", none ? std::nullopt : q->limit);
    w.Key("unlimited");
    w.Bool(q->limit && unlimited(*q->limit));
    optional_number(w, "utilization",
                    none || *q->limit == 0 ? std::nullopt : std::optional<double>(*q->usage / *q->limit));
    // From when it was read: the usage is that moment's.
    optional_number(w, "projected_month_end", projected_month_end(*q->usage, read_at));
    w.Key("month");
    text(w, utc_month(now));
    w.EndObject();
}

void capacity(Writer& w, const Capacity& c, const Inventory* inv, double now)
{
    w.StartObject();
    w.Key("fetched_at");
    number(w, c.fetched_at);
    w.Key("account");
    if (c.account)
        account(w, *c.account);
    else
        w.Null();
    w.Key("account_error");
    text(w, c.account_error);
    const InUse in_use = inv ? accelerators_in_use(*inv) : InUse{};
    w.Key("quotas");
    w.StartArray();
    const Quota* spend_quota = nullptr;
    for (const auto& q : c.quotas) {
        if (q.id == kSpendQuota)
            spend_quota = &q;
        quota(w, q, inv && inv->complete ? &in_use : nullptr);
    }
    w.EndArray();
    w.Key("quotas_read_at");
    if (c.quotas_read)
        number(w, c.quotas_read_at);
    else
        w.Null();
    spend(w, spend_quota, c.quotas_read_at, now);
    w.Key("complete");
    w.Bool(c.complete);
    problems(w, c.problems);
    w.EndObject();
}

void rated_rows(Writer& w, const char* by, const std::vector<RatedRow>& rows)
{
    for (const auto& r : rows) {
        w.StartObject();
        w.Key("by");
        w.String(by);
        w.Key("model");
        text(w, r.model);
        w.Key("model_tag");
        text(w, util::model_tag_of(r.model));
        w.Key("api_key_id");
        text(w, r.api_key_id);
        w.Key("user");
        text(w, r.user);
        w.Key("currency");
        text(w, r.amount.currency());
        w.Key("amount");
        number(w, r.amount.value());
        w.EndObject();
    }
}

void cost_day(Writer& w, const CostDay& d)
{
    w.Key("day");
    text(w, d.day);
    optional_number(w, "evaluation_time", d.evaluation_time);
    w.Key("attribution_completeness");
    text(w, d.attribution_completeness);
    w.Key("rated");
    w.StartArray();
    rated_rows(w, "model", d.by_model);
    rated_rows(w, "api_key", d.by_api_key);
    w.EndArray();
    money(w, "subtotal", d.subtotal);
}

void billing_line(Writer& w, const BillingLine& l)
{
    w.StartObject();
    const std::pair<const char*, const std::string*> texts[] = {
        {"category", &l.category},
        {"grouping_key", &l.grouping_key},
        {"grouping_value", &l.grouping_value},
        {"secondary_grouping_key", &l.secondary_grouping_key},
        {"secondary_grouping_value", &l.secondary_grouping_value},
    };
    for (const auto& [key, value] : texts) {
        w.Key(key);
        text(w, *value);
    }
    optional_number(w, "quantity", l.quantity);
    optional_number(w, "unit_amount", l.unit_amount ? std::optional<double>(l.unit_amount->value()) : std::nullopt);
    w.Key("total");
    number(w, l.total.value());
    w.Key("currency");
    text(w, l.total.currency());
    w.EndObject();
}

void costs(Writer& w, const Costs& c)
{
    w.StartObject();
    w.Key("fetched_at");
    number(w, c.fetched_at);
    w.Key("scope");
    text(w, c.scope);
    w.Key("scope_fallback");
    w.Bool(c.scope_fallback);
    if (c.today) {
        cost_day(w, *c.today);
    } else {
        w.Key("day");
        w.String("");
        w.Key("evaluation_time");
        w.Null();
        w.Key("attribution_completeness");
        w.String("");
        w.Key("rated");
        w.StartArray();
        w.EndArray();
        w.Key("subtotal");
        w.Null();
    }
    w.Key("day_before");
    if (c.day_before) {
        w.StartObject();
        cost_day(w, *c.day_before);
        w.EndObject();
    } else {
        w.Null();
    }
    w.Key("billed");
    w.StartArray();
    for (const auto& l : c.billed)
        billing_line(w, l);
    w.EndArray();
    w.Key("billed_from");
    text(w, c.billed_from);
    w.Key("billed_to");
    text(w, c.billed_to);
    w.Key("billing_error");
    text(w, c.billing_error);
    problems(w, c.problems);
    w.EndObject();
}

// One refreshed part: null when the instance does not collect it, else its
// last attempt, its last good reading (`last_good` writes it, or null), and
// what `more` adds.
void section(Writer& w, const char* key, bool on, const Attempt& a, const std::function<void()>& last_good,
             const std::function<void()>& more = {})
{
    w.Key(key);
    if (!on) {
        w.Null();
        return;
    }
    w.StartObject();
    attempt(w, a);
    w.Key("last_good");
    last_good();
    if (more)
        more();
    w.EndObject();
}

void usage_day(Writer& w, const UsageDay& u)
{
    w.StartObject();
    w.Key("day");
    text(w, u.day);
    w.Key("fetched_at");
    number(w, u.fetched_at);
    w.Key("rows");
    w.Uint64(u.usage.rows);
    w.Key("skipped");
    w.Uint64(u.usage.skipped);
    problems(w, u.usage.problems);
    w.Key("accelerator_seconds");
    w.StartArray();
    for (const auto& [key, seconds] : u.usage.accelerator_seconds) {
        w.StartObject();
        w.Key("deployment_id");
        text(w, key.first);
        w.Key("accelerator_type");
        text(w, key.second);
        w.Key("value");
        number(w, seconds);
        w.EndObject();
    }
    w.EndArray();
    w.Key("tokens");
    w.StartArray();
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_model;
    for (const auto& [m, n] : u.usage.prompt_tokens)
        by_model[m].first = n;
    for (const auto& [m, n] : u.usage.completion_tokens)
        by_model[m].second = n;
    for (const auto& [m, n] : by_model) {
        w.StartObject();
        w.Key("model");
        text(w, m);
        w.Key("model_tag");
        text(w, util::model_tag_of(m));
        w.Key("prompt");
        w.Uint64(n.first);
        w.Key("completion");
        w.Uint64(n.second);
        w.EndObject();
    }
    w.EndArray();
    w.Key("day_before");
    if (u.day_before)
        usage_day(w, *u.day_before);
    else
        w.Null();
    w.EndObject();
}

} // namespace

// Deployments the metrics show with a deployment_replicas gauge that the
// inventory does not hold (or with no inventory): their replicas, so that a
// deployment scaled to zero is known as such without the REST API.
void metrics_replicas(Writer& w, const Snapshot& s, const FleetOptions& o, const std::map<std::string, Observed>& observed)
{
    w.Key("metrics_replicas");
    w.StartArray();
    for (const auto& [id, seen] : observed) {
        if (!seen.replicas || !std::isfinite(*seen.replicas))
            continue;
        if (o.inventory && s.inventory &&
            std::binary_search(s.inventory->deployments.begin(), s.inventory->deployments.end(), id,
                               [](const auto& a, const auto& b) {
                                   if constexpr (std::is_same_v<std::decay_t<decltype(a)>, Deployment>)
                                       return a.id < b;
                                   else
                                       return a < b.id;
                               }))
            continue;
        w.StartObject();
        w.Key("deployment_id");
        text(w, id);
        w.Key("replicas");
        number(w, *seen.replicas);
        w.EndObject();
    }
    w.EndArray();
}

void inventory(Writer& w, const Inventory& inv, const FleetOptions& o, const std::map<std::string, Price>& billed,
               const std::map<std::string, Observed>& observed)
{
    w.StartObject();
    w.Key("fetched_at");
    number(w, inv.fetched_at);
    w.Key("pages");
    w.Uint64(inv.pages);
    w.Key("skipped");
    w.Uint64(inv.skipped);
    w.Key("complete");
    w.Bool(inv.complete);
    problems(w, inv.problems);
    w.Key("tags_joined");
    w.Bool(o.inventory_tags);
    w.Key("deployments");
    w.StartArray();
    for (const auto& d : inv.deployments)
        deployment(w, d, o, billed, observed);
    w.EndArray();
    w.EndObject();
}

void envelope(Writer& w, const Envelope& e)
{
    w.Key("envelope");
    w.StartObject();
    w.Key("slowed");
    w.Bool(e.slowed);
    w.Key("reason");
    text(w, e.reason);
    w.EndObject();
}

namespace {

// An instance's first run waits for the first refreshes, once: how long,
// and which had not come: {"waited_s":S, "missing":["inventory",...]}.
void first_run(Writer& w, std::optional<double> waited_s, const Snapshot& s, const FleetOptions& o)
{
    w.Key("first_run");
    if (!waited_s) {
        w.Null();
        return;
    }
    w.StartObject();
    w.Key("waited_s");
    w.Double(std::isfinite(*waited_s) ? *waited_s : 0.0);
    w.Key("missing");
    w.StartArray();
    const std::pair<const char*, bool> kinds[] = {
        {"inventory", o.inventory && s.inventory_attempt.sequence == 0},
        {"usage", o.usage && s.usage_attempt.sequence == 0},
        {"capacity", o.capacity && s.capacity_attempt.sequence == 0},
        {"costs", o.costs && s.costs_attempt.sequence == 0},
    };
    for (const auto& [kind, missing] : kinds)
        if (missing)
            w.String(kind);
    w.EndArray();
    w.EndObject();
}

} // namespace

void write_fleet(Writer& w, const Snapshot& s, const FleetOptions& o, std::optional<double> first_run_waited_s,
                 const std::map<std::string, Observed>& observed, bool account_data)
{
    const std::map<std::string, Price> billed =
        s.costs ? prices_from_billing(s.costs->billed) : std::map<std::string, Price>{};
    const double now = o.wall_clock ? o.wall_clock()
                                    : std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    w.StartObject();
    first_run(w, first_run_waited_s, s, o);
    w.Key("account_data");
    w.Bool(account_data);
    section(w, "inventory", o.inventory, s.inventory_attempt, [&] {
        if (s.inventory)
            inventory(w, *s.inventory, o, billed, observed);
        else
            w.Null();
    });
    section(w, "usage", o.usage, s.usage_attempt, [&] {
        if (s.usage)
            usage_day(w, *s.usage);
        else
            w.Null();
    });
    metrics_replicas(w, s, o, observed);
    section(
        w, "capacity", o.capacity, s.capacity_attempt,
        [&] {
            if (s.capacity)
                capacity(w, *s.capacity, s.inventory.get(), now);
            else
                w.Null();
        },
        [&] { envelope(w, s.envelope); });
    section(w, "costs", o.costs, s.costs_attempt, [&] {
        if (s.costs)
            costs(w, *s.costs);
        else
            w.Null();
    });
    w.EndObject();
}

std::string fleet_json(const Snapshot& s, const FleetOptions& o, std::optional<double> first_run_waited_s,
                       const std::map<std::string, Observed>& observed, bool account_data)
{
    std::string out;
    util::StringSink sink{out};
    Writer w(sink);
    write_fleet(w, s, o, first_run_waited_s, observed, account_data);
    sink.Flush();
    return out;
}

} // namespace fwm::fleet
