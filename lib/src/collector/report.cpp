#include "collector/report.hpp"

#include <string_view>

#include "fwm/fwm.h"
#include "util/json_sink.hpp"
#include "util/status.hpp"
#include "util/text.hpp"

namespace fwm::collector {
namespace {

using Writer = util::JsonWriter;
using util::write_string;

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

MappingFacts::MappingFacts(const mapping::MapStats& s, std::size_t bytes)
    : stats(s), submissions_bytes(bytes)
{
    if (s.costly_pattern) {
        costly_option = s.costly_pattern->option();
        costly_pattern = util::clean_text(s.costly_pattern->text(), 256);
    }
    stats.costly_pattern = nullptr;
}

void write_mapping(Writer& w, const std::optional<MappingFacts>& facts)
{
    if (!facts) {
        w.Null();
        return;
    }
    const mapping::MapStats& m = facts->stats;
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
        {"submissions_bytes", facts->submissions_bytes},
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
    if (facts->costly_option) {
        w.StartObject();
        w.Key("option");
        write_string(w, *facts->costly_option);
        w.Key("pattern");
        write_string(w, *facts->costly_pattern);
        w.EndObject();
    } else {
        w.Null();
    }
    w.EndObject();
}

void write_collection(Writer& w, const http::CollectInfo& c)
{
    w.StartObject();
    w.Key("status");
    w.String(util::status_name(c.status));
    w.Key("message");
    write_string(w, util::clean_text(c.message, 1024));
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
    write_string(w, c.encoding);
    w.Key("content_type");
    write_string(w, util::clean_text(c.content_type, 128));
    w.Key("connection_reused");
    w.Bool(c.connection_reused);
    w.Key("from_cache");
    w.Bool(c.from_cache);
    seconds_or_null(w, "cache_age_s", c.cache_age_s);
    w.Key("rate_limited");
    w.Bool(c.rate_limited);
    seconds_or_null(w, "retry_after_s", c.retry_after_s);
    w.EndObject();
}

} // namespace fwm::collector
