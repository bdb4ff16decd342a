#include "mapping/report.hpp"

#include <string_view>

#include <rapidjson/writer.h>

#include "fwm/fwm.h"
#include "util/json_sink.hpp"

namespace fwm::mapping {
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

void log(Writer& w, const char* level, const std::string& text)
{
    w.StartArray();
    w.String(level);
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    w.EndArray();
}

void tags(Writer& w, const MappingOptions& o)
{
    w.StartArray();
    if (!o.account_id.empty()) {
        const std::string t = "fireworks_account:" + o.account_id;
        w.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
    }
    for (const auto& t : o.tags)
        w.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
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
        w.StartObject();
        w.Key("name");
        w.String("fireworks.can_connect");
        w.Key("status");
        w.Int(status);
        w.Key("message");
        w.String(status == kOk ? "" : info->message.c_str()); // an OK check carries no message
        w.Key("tags");
        tags(w, options);
        w.EndObject();
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

} // namespace fwm::mapping
