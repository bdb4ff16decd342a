#include "parser/result_json.hpp"

#include <cmath>

#include <rapidjson/writer.h>

#include "util/text.hpp"
#include "util/json_sink.hpp"

namespace fwm::parser {
namespace {

using util::StringSink;
using util::write_string;
using Writer = util::JsonWriter;

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

void write_labels(Writer& w, const ParseResult& r, std::uint32_t begin, std::uint32_t count)
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

} // namespace

std::string summary_json(const ParseResult& r, std::initializer_list<SummaryPart> parts)
{
    std::string out;
    StringSink sink{out};
    Writer w(sink);
    w.StartObject();
    w.Key("format");
    write_string(w, to_string(r.format));
    w.Key("lines");
    w.Uint64(r.lines);
    w.Key("samples");
    w.Uint64(r.sample_count);
    w.Key("families");
    w.Uint64(r.families.size());
    w.Key("exemplars");
    w.Uint64(r.exemplar_count);
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
        write_string(w, util::clean_text(e.reason)); // quotes the payload: clean it again
        w.EndObject();
    }
    w.EndArray();
    for (const auto& part : parts) {
        w.Key(part.name);
        part.write(w);
    }
    w.EndObject();
    sink.Flush();
    return out;
}

std::string samples_json_lines(const ParseResult& r)
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
        if (s.exemplar != kNoExemplar) {
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

} // namespace fwm::parser
