#include "collector/report.hpp"

#include <string_view>

#include <rapidjson/writer.h>

#include "fwm/fwm.h"
#include "util/json_sink.hpp"
#include "util/status.hpp"
#include "util/text.hpp"

namespace fwm::collector {

using mapping::MappingOptions;
using mapping::MapStats;
namespace {

using Writer = rapidjson::Writer<util::StringSink>;

constexpr int kOk = 0, kWarning = 1, kCritical = 2; // AgentCheck's service check statuses

void pair(Writer& w, const char* name, double value)
{
    w.StartArray();
    w.String(name);
    w.Double(value);
    w.EndArray();
}

void write_text(Writer& w, std::string_view text)
{
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

// Log lines quote payloads and servers: cleaned here whatever their source.
void log(Writer& w, const char* level, const std::string& text)
{
    w.StartArray();
    w.String(level);
    write_text(w, util::clean_text(text, 1024));
    w.EndArray();
}

void service_check(Writer& w, int status, const std::string& message, const MappingOptions& o);

void tags(Writer& w, const MappingOptions& o)
{
    w.StartArray();
    if (!o.account_id.empty())
        write_text(w, "fireworks_account:" + o.account_id);
    for (const auto& t : o.tags)
        write_text(w, t);
    w.EndArray();
}

} // namespace

std::string submissions_json(const std::string& groups_json, const parser::ParseResult* parsed, const MapStats* stats,
                             const http::CollectInfo* info, const MappingOptions& options)
{
    // The writer builds everything but the groups, which are spliced in with
    // one copy (a Writer's RawValue would copy them a character at a time).
    std::string tail;
    util::StringSink sink{tail};
    Writer w(sink);
    w.StartObject();
    w.Key("check");
    w.StartObject();
    w.Key("tags");
    tags(w, options);
    w.Key("gauges");
    w.StartArray();
    if (info)
        pair(w, "fireworks.scrape.duration", info->duration_s);
    if (parsed && stats) {
        if (info)
            pair(w, "fireworks.scrape.response_bytes", static_cast<double>(info->body_bytes));
        pair(w, "fireworks.scrape.series", static_cast<double>(parsed->samples.size()));
        pair(w, "fireworks.scrape.invalid_lines", static_cast<double>(parsed->invalid_lines));
        pair(w, "fireworks.scrape.malformed_histograms", static_cast<double>(stats->malformed_histograms));
        pair(w, "fireworks.deployments", static_cast<double>(stats->deployments));
    }
    w.EndArray();
    w.Key("counts");
    w.StartArray();
    if (info) {
        pair(w, "fireworks.scrape.cache_hits", info->from_cache ? 1 : 0);
        pair(w, "fireworks.scrape.rate_limited", info->rate_limited ? 1 : 0);
    }
    w.EndArray();
    w.EndObject();

    w.Key("service_check");
    if (info) {
        const int status = info->status == FWM_OK ? kOk : info->status == FWM_ERR_RATE_LIMITED ? kWarning : kCritical;
        service_check(w, status, info->message, options);
    } else {
        w.Null();
    }

    w.Key("logs");
    w.StartArray();
    if (parsed && parsed->invalid_lines > 0) {
        std::string text = std::to_string(parsed->invalid_lines) + " invalid line" +
                           (parsed->invalid_lines == 1 ? "" : "s") + " skipped in the payload";
        if (!parsed->errors.empty())
            text += "; first: line " + std::to_string(parsed->errors[0].line) + ": " + parsed->errors[0].reason;
        log(w, "warning", text);
    }
    if (stats && stats->malformed_histograms > 0)
        log(w, "info", std::to_string(stats->malformed_histograms) +
                           " histogram groups were malformed (no +Inf bucket, unordered or repeated le, or NaN "
                           "counts) and were used where possible");
    if (stats && stats->filter_gave_up > 0) {
        std::string text = std::to_string(stats->filter_gave_up) + " series were skipped in this run: ";
        if (stats->costly_pattern)
            text += "the pattern '" + stats->costly_pattern->text() + "' of option '" +
                    stats->costly_pattern->option() +
                    "' is too costly for the regular expression engine on them (nested repeats such as (a+)+ "
                    "backtrack without end), or they are longer than 256 bytes: simplify it";
        if (stats->filter_over_budget)
            text += std::string(stats->costly_pattern ? "; and the" : "the") +
                    " filters used up their time for this run (" + std::to_string(mapping::kFilterBudget.count()) +
                    " ms); the rest are judged in the next runs";
        log(w, "warning", text);
    }
    if (stats && stats->over_name_cap > 0)
        log(w, "warning", std::to_string(stats->over_name_cap) + " series were skipped: the payload has more than " +
                              std::to_string(mapping::kMaxNames) +
                              " distinct metric names, which is not what a Fireworks endpoint sends: check "
                              "openmetrics_endpoint");
    if (info && info->from_cache)
        log(w, "debug", "served the response fetched " + std::to_string(static_cast<long>(info->cache_age_s)) +
                            " s ago instead of a request (rate limit)");
    w.EndArray();
    w.EndObject();
    sink.Flush();
    std::string out;
    out.reserve(groups_json.size() + tail.size() + 16);
    out += "{\"groups\":";
    out += groups_json.empty() ? std::string_view("[]") : std::string_view(groups_json);
    out += ',';
    out.append(tail, 1, std::string::npos); // the tail's members, without its "{"
    return out;
}

} // namespace fwm::collector

namespace fwm::collector {
namespace {

void service_check(Writer& w, int status, const std::string& message, const MappingOptions& o)
{
    w.StartObject();
    w.Key("name");
    w.String("fireworks.can_connect");
    w.Key("status");
    w.Int(status);
    w.Key("message");
    write_text(w, status == kOk ? std::string() : util::clean_text(message, 1024)); // an OK check carries no message
    w.Key("tags");
    tags(w, o);
    w.EndObject();
}

// A duration the collection may not have (negative: none).
void seconds_or_null(Writer& w, const char* key, double seconds)
{
    w.Key(key);
    if (seconds >= 0)
        w.Double(seconds);
    else
        w.Null();
}

} // namespace

std::string failure_submissions_json(const std::string& message, const MappingOptions& options)
{
    // The same buffer as a failed collection's: no series, and any status
    // other than OK or rate limited makes the service check CRITICAL.
    http::CollectInfo info;
    info.status = FWM_ERR_INTERNAL;
    info.message = message;
    return submissions_json({}, nullptr, nullptr, &info, options);
}

std::string collection_json(const http::CollectInfo& c)
{
    std::string out;
    util::StringSink sink{out};
    Writer w(sink);
    w.StartObject();
    w.Key("status");
    w.String(util::status_name(c.status));
    w.Key("message");
    write_text(w, util::clean_text(c.message, 1024));
    w.Key("http_status");
    w.Uint(c.http_status);
    w.Key("attempts");
    w.Uint(c.attempts);
    w.Key("duration_s");
    w.Double(c.duration_s);
    w.Key("wire_bytes");
    w.Uint64(c.wire_bytes);
    w.Key("body_bytes");
    w.Uint64(c.body_bytes);
    w.Key("encoding");
    write_text(w, c.encoding);
    w.Key("content_type");
    write_text(w, util::clean_text(c.content_type, 128));
    w.Key("connection_reused");
    w.Bool(c.connection_reused);
    w.Key("from_cache");
    w.Bool(c.from_cache);
    seconds_or_null(w, "cache_age_s", c.cache_age_s);
    w.Key("rate_limited");
    w.Bool(c.rate_limited);
    seconds_or_null(w, "retry_after_s", c.retry_after_s);
    w.EndObject();
    sink.Flush();
    return out;
}

} // namespace fwm::collector
