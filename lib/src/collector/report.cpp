#include "collector/report.hpp"

#include <string_view>

#include <rapidjson/writer.h>

#include "fwm/fwm.h"
#include "util/json_sink.hpp"
#include "util/status.hpp"
#include "util/text.hpp"

namespace fwm::collector {
namespace {

using Writer = rapidjson::Writer<util::StringSink>;

void write_text(Writer& w, std::string_view text)
{
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
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

std::string mapping_json(const mapping::MapStats& m, std::size_t submissions_bytes)
{
    std::string out;
    util::StringSink sink{out};
    Writer w(sink);
    w.StartObject();
    const std::pair<const char*, std::size_t> counts[] = {
        {"series", m.series},
        {"filtered", m.filtered},
        {"created", m.created},
        {"merged", m.merged},
        {"renamed", m.renamed},
        {"groups", m.groups},
        {"points", m.points},
        {"deployments", m.deployments},
        {"malformed_histograms", m.malformed_histograms},
        {"non_finite", m.non_finite},
        {"filter_gave_up", m.filter_gave_up},
        {"over_name_cap", m.over_name_cap},
        {"max_names", mapping::kMaxNames},
        {"submissions_bytes", submissions_bytes},
    };
    for (const auto& [name, value] : counts) {
        w.Key(name);
        w.Uint64(value);
    }
    w.Key("filter_over_budget");
    w.Bool(m.filter_over_budget);
    w.Key("filter_budget_ms");
    w.Int64(mapping::kFilterBudget.count());
    w.Key("costly_pattern");
    if (m.costly_pattern) {
        w.StartObject();
        w.Key("option");
        write_text(w, m.costly_pattern->option());
        w.Key("pattern");
        write_text(w, util::clean_text(m.costly_pattern->text(), 256));
        w.EndObject();
    } else {
        w.Null();
    }
    w.EndObject();
    sink.Flush();
    return out;
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
