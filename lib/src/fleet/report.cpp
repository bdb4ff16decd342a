#include "fleet/report.hpp"

#include <cmath>
#include <string_view>

#include <rapidjson/writer.h>

#include "util/json_sink.hpp"
#include "util/status.hpp"

namespace fwm::fleet {

namespace {

using Writer = rapidjson::Writer<util::StringSink>;

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

void deployment(Writer& w, const Deployment& d, const FleetOptions& o)
{
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
    for (const auto& t : deployment_tags(d, o))
        text(w, t);
    w.EndArray();
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

std::string fleet_json(const Snapshot& s, const FleetOptions& o, const std::string& first_run)
{
    std::string out;
    util::StringSink sink{out};
    Writer w(sink);
    w.StartObject();
    w.Key("first_run");
    w.RawValue(first_run.data(), first_run.size(), rapidjson::kObjectType);
    w.Key("inventory");
    if (!o.inventory) {
        w.Null();
    } else {
        w.StartObject();
        attempt(w, s.inventory_attempt);
        w.Key("last_good");
        if (!s.inventory) {
            w.Null();
        } else {
            const Inventory& inv = *s.inventory;
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
                deployment(w, d, o);
            w.EndArray();
            w.EndObject();
        }
        w.EndObject();
    }
    w.Key("usage");
    if (!o.usage) {
        w.Null();
    } else {
        w.StartObject();
        attempt(w, s.usage_attempt);
        w.Key("last_good");
        if (!s.usage) {
            w.Null();
        } else {
            usage_day(w, *s.usage);
        }
        w.EndObject();
    }
    w.EndObject();
    return out;
}

} // namespace fwm::fleet
