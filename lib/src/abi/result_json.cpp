#include "abi/result_json.hpp"

#include <cmath>

#include <rapidjson/writer.h>

#include "abi/status.hpp"
#include "util/json_sink.hpp"

namespace fwm::abi {
namespace {

using util::StringSink;
using Writer = rapidjson::Writer<StringSink>;

void write_string(Writer& w, std::string_view s)
{
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// JSON has no NaN or infinities: they travel as the strings Prometheus uses.
void write_number(Writer& w, double v)
{
    if (std::isnan(v))
        w.String("NaN");
    else if (std::isinf(v))
        w.String(v > 0 ? "+Inf" : "-Inf");
    else
        w.Double(v);
}

void write_labels(Writer& w, const parser::ParseResult& r, std::uint32_t begin, std::uint32_t count)
{
    w.StartObject();
    for (std::uint32_t i = 0; i < count; ++i) {
        write_string(w, r.labels[begin + i].name);
        write_string(w, r.labels[begin + i].value);
    }
    w.EndObject();
}

void write_timestamp(Writer& w, bool has, double ts)
{
    if (has)
        w.Double(ts);
    else
        w.Null();
}

void write_collection(Writer& w, const http::CollectInfo& c)
{
    w.StartObject();
    w.Key("status");
    w.String(status_name(c.status));
    w.Key("message");
    write_string(w, c.message);
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
    write_string(w, c.content_type);
    w.Key("connection_reused");
    w.Bool(c.connection_reused);
    w.Key("from_cache");
    w.Bool(c.from_cache);
    w.Key("cache_age_s");
    if (c.cache_age_s >= 0)
        w.Double(c.cache_age_s);
    else
        w.Null();
    w.Key("rate_limited");
    w.Bool(c.rate_limited);
    w.Key("retry_after_s");
    if (c.retry_after_s >= 0)
        w.Double(c.retry_after_s);
    else
        w.Null();
    w.EndObject();
}

} // namespace

std::string summary_json(const parser::ParseResult& r, const http::CollectInfo* info)
{
    std::string out;
    StringSink sink{out};
    Writer w(sink);
    w.StartObject();
    w.Key("format");
    write_string(w, parser::to_string(r.format));
    w.Key("lines");
    w.Uint64(r.lines);
    w.Key("samples");
    w.Uint64(r.samples.size());
    w.Key("families");
    w.Uint64(r.families.size());
    w.Key("exemplars");
    w.Uint64(r.exemplars.size());
    w.Key("eof");
    w.Bool(r.saw_eof);
    w.Key("invalid_lines");
    w.Uint64(r.invalid_lines);
    w.Key("errors");
    w.StartArray();
    for (const auto& e : r.errors) {
        w.StartObject();
        w.Key("line");
        w.Uint(e.line);
        w.Key("reason");
        write_string(w, e.reason);
        w.EndObject();
    }
    w.EndArray();
    if (info != nullptr) {
        w.Key("collection");
        write_collection(w, *info);
    }
    w.EndObject();
    sink.Flush();
    return out;
}

std::string samples_json_lines(const parser::ParseResult& r)
{
    std::string out;
    out.reserve(r.samples.size() * 160);
    StringSink sink{out};
    for (const auto& s : r.samples) {
        Writer w(sink);
        w.StartObject();
        w.Key("name");
        write_string(w, s.name);
        w.Key("labels");
        write_labels(w, r, s.labels_begin, s.labels_count);
        w.Key("value");
        write_number(w, s.value);
        w.Key("timestamp");
        write_timestamp(w, s.has_timestamp, s.timestamp);
        if (s.exemplar != parser::kNoExemplar) {
            const auto& ex = r.exemplars[s.exemplar];
            w.Key("exemplar");
            w.StartObject();
            w.Key("labels");
            write_labels(w, r, ex.labels_begin, ex.labels_count);
            w.Key("value");
            write_number(w, ex.value);
            w.Key("timestamp");
            write_timestamp(w, ex.has_timestamp, ex.timestamp);
            w.EndObject();
        }
        w.EndObject();
        sink.Put('\n');
    }
    sink.Flush();
    return out;
}

} // namespace fwm::abi
