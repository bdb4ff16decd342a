#include "support/json_groups.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace fwm::test {
namespace {

void write_number(std::string& out, double v)
{
    char buf[32];
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "Infinity" : "-Infinity";
        return;
    }
    // Whole numbers (counts, most bounds) as integers: shorter, and read the same.
    if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
        const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
        out.append(buf, r.ptr);
        return;
    }
    const auto r = std::to_chars(buf, buf + sizeof buf, v); // shortest form that reads back the same
    out.append(buf, r.ptr);
}

void write_string(std::string& out, std::string_view s)
{
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += "\\u00";
            out += kHex[u >> 4];
            out += kHex[u & 15];
        } else {
            out += c;
        }
    }
    out += '"';
}

} // namespace

JsonGroups::JsonGroups(std::string& out)
    : out_(out)
{
    out_ += '[';
}

JsonGroups::~JsonGroups()
{
    try {
        finish();
    } catch (...) {
        // Out of memory while closing: the caller sees the exception's status already.
    }
}

void JsonGroups::finish()
{
    if (finished_)
        return;
    finished_ = true;
    if (any_group_)
        out_ += "]}";
    out_ += ']';
}

void JsonGroups::group(const std::vector<std::string_view>& tags)
{
    if (any_group_)
        out_ += "]},";
    any_group_ = true;
    section_ = Section::none;
    out_ += "{\"tags\":[";
    for (std::size_t i = 0; i < tags.size(); ++i) {
        if (i)
            out_ += ',';
        write_string(out_, tags[i]);
    }
    out_ += "],\"gauges\":[";
    section_ = Section::gauges;
    first_in_section_ = true;
}

void JsonGroups::enter(Section s)
{
    if (section_ == s)
        return;
    // Gauges come first (possibly empty); the mapper writes counts, then buckets.
    out_ += ']';
    out_ += s == Section::counts ? ",\"counts\":[" : s == Section::buckets ? ",\"buckets\":[" : ",\"gauges\":[";
    section_ = s;
    first_in_section_ = true;
}

void JsonGroups::pair(Section s, const std::string& name, double value)
{
    enter(s);
    out_ += first_in_section_ ? "[" : ",[";
    first_in_section_ = false;
    write_string(out_, name);
    out_ += ',';
    write_number(out_, value);
    out_ += ']';
}

void JsonGroups::gauge(const std::string& name, double value)
{
    pair(Section::gauges, name, value);
}

void JsonGroups::count(const std::string& name, double value)
{
    pair(Section::counts, name, value);
}

void JsonGroups::bucket(const std::string& name, double count, double lower, double upper)
{
    enter(Section::buckets);
    out_ += first_in_section_ ? "[" : ",[";
    first_in_section_ = false;
    write_string(out_, name);
    for (const double v : {count, lower, upper}) {
        out_ += ',';
        write_number(out_, v);
    }
    out_ += ']';
}

mapping::MapStats map_json(mapping::Mapper& m, const parser::ParseResult& r, double now, std::string& out)
{
    JsonGroups sink(out);
    const mapping::MapStats stats = m.map(r, now, sink);
    sink.finish();
    return stats;
}

} // namespace fwm::test
