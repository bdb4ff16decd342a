#include "fleet/json_fields.hpp"

#include <cmath>
#include <stdexcept>

#include <rapidjson/error/en.h>

#include "parser/decimal.hpp"
#include "util/json_kind.hpp"
#include "util/text.hpp"

namespace fwm::fleet {

void Problems::add(std::string what)
{
    ++count;
    if (first.size() < kKept)
        first.push_back(util::clean_text(what, 300));
}

namespace {

std::string where_of(std::string_view where, const char* name)
{
    std::string w(where);
    if (!w.empty())
        w += '.';
    return w + name;
}

void wrong_kind(Problems& problems, std::string_view where, const char* name, const char* expected,
                const rapidjson::Value& v)
{
    problems.add(where_of(where, name) + ": expected " + expected + ", got " + util::json_kind(v));
}

} // namespace

void parse_answer(std::string_view json, const char* what, rapidjson::Document& doc)
{
    doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(json.data(), json.size());
    if (doc.HasParseError())
        throw std::runtime_error(std::string(what) + " is not valid JSON: " +
                                 rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                                 std::to_string(doc.GetErrorOffset()));
    if (!doc.IsObject())
        throw std::runtime_error(std::string(what) + " is " + util::json_kind(doc) + ", not a mapping");
}

std::optional<std::uint64_t> parse_count(std::string_view s) noexcept
{
    if (s.empty() || s.size() > 20)
        return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return std::nullopt;
        v = v * 10 + digit;
    }
    return v;
}

std::string_view last_segment(std::string_view name) noexcept
{
    const auto slash = name.rfind('/');
    return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

std::optional<std::string> text_field(const rapidjson::Value& o, const char* name, std::string_view where,
                                      std::size_t max_bytes, Problems& problems)
{
    const auto it = o.FindMember(name);
    if (it == o.MemberEnd() || it->value.IsNull())
        return std::nullopt;
    if (!it->value.IsString()) {
        wrong_kind(problems, where, name, "a string", it->value);
        return std::nullopt;
    }
    return util::clean_text(std::string_view(it->value.GetString(), it->value.GetStringLength()), max_bytes);
}

std::optional<std::uint64_t> count_field(const rapidjson::Value& o, const char* name, std::string_view where,
                                         Problems& problems)
{
    const auto it = o.FindMember(name);
    if (it == o.MemberEnd() || it->value.IsNull())
        return std::nullopt;
    const rapidjson::Value& v = it->value;
    if (v.IsUint64())
        return v.GetUint64();
    if (v.IsString()) {
        if (auto n = parse_count(std::string_view(v.GetString(), v.GetStringLength())))
            return n;
        problems.add(where_of(where, name) + ": \"" +
                     util::clean_text(std::string_view(v.GetString(), v.GetStringLength()), 40) +
                     "\" is not a whole number from 0 to 2^64-1");
        return std::nullopt;
    }
    if (v.IsNumber()) {
        problems.add(where_of(where, name) + ": " + std::to_string(v.GetDouble()) + " is not a whole number >= 0");
        return std::nullopt;
    }
    wrong_kind(problems, where, name, "a whole number", v);
    return std::nullopt;
}

std::optional<double> quantity_field(const rapidjson::Value& o, const char* name, std::string_view where,
                                     Problems& problems)
{
    const auto it = o.FindMember(name);
    if (it == o.MemberEnd() || it->value.IsNull())
        return std::nullopt;
    const rapidjson::Value& v = it->value;
    double out = 0;
    if (v.IsNumber()) {
        out = v.GetDouble();
    } else if (v.IsString()) {
        std::string_view s(v.GetString(), v.GetStringLength());
        if (s.empty() || s.size() > 64 || parser::to_double(s, false, out) != parser::Conversion::ok) {
            problems.add(where_of(where, name) + ": \"" + util::clean_text(s, 40) + "\" is not a decimal number");
            return std::nullopt;
        }
    } else {
        wrong_kind(problems, where, name, "a number", v);
        return std::nullopt;
    }
    if (!std::isfinite(out) || out < 0) {
        problems.add(where_of(where, name) + ": " + std::to_string(out) + " is not a finite number >= 0");
        return std::nullopt;
    }
    return out;
}

} // namespace fwm::fleet
