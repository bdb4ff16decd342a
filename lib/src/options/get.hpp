// Reading one value by its row of the option table, with the messages every
// reader gives: "option '<name>' <what is wrong>".
#pragma once

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "options/spec.hpp"
#include "util/json_kind.hpp"
#include "util/option_reader.hpp"
#include "util/text.hpp"

namespace fwm::options {

inline std::string name_of(const OptionSpec& s)
{
    return std::string(s.name);
}

// A bound as a message writes it: 1000000, not 1e+06.
inline std::string number_text(double d)
{
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    return r.ec == std::errc() ? std::string(buf, r.ptr) : std::string("?");
}

inline bool get_bool(const OptionSpec& s, const rapidjson::Value& v)
{
    return util::option_bool(name_of(s), v);
}

inline std::string get_string(const OptionSpec& s, const rapidjson::Value& v)
{
    return util::option_string(name_of(s), v);
}

// null is an empty list. `name` may be a part's (deployments.include).
inline std::vector<std::string> get_strings(const std::string& name, const rapidjson::Value& v)
{
    if (v.IsNull())
        return {};
    if (!v.IsArray())
        util::option_wrong(name, "must be a list of strings");
    std::vector<std::string> out;
    for (const auto& e : v.GetArray()) {
        if (!e.IsString())
            util::option_wrong(name, "must be a list of strings");
        // Tags go out in the batches, which fwm.h promises are UTF-8: a lone
        // surrogate escape or raw bytes are read as a strict decoder would.
        const std::string_view text(e.GetString(), e.GetStringLength());
        if (util::valid_utf8(text))
            out.emplace_back(text);
        else
            out.push_back(util::replace_invalid_utf8(text));
    }
    return out;
}

inline std::vector<std::string> get_strings(const OptionSpec& s, const rapidjson::Value& v)
{
    return get_strings(name_of(s), v);
}

// A value in a message: whole numbers below 10^15 in full (4294967294,
// where %g said 4.29497e+09), others as %g does (0.0009, 1e+30).
inline std::string value_text(double d)
{
    if (std::fabs(d) < 1e15 && d == std::floor(d) && !(d == 0 && std::signbit(d)))
        return std::to_string(static_cast<long long>(d));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
}

// A number within the row's bounds (inclusive: fields.hpp binds no other),
// whole for an integer. The REST API's integers have always said "a whole
// number from A to B", the HTTP client's "between A and B, not X" (then "a
// whole number"): both are kept.
inline double get_number(const OptionSpec& s, const rapidjson::Value& v)
{
    if (!v.IsNumber())
        util::option_wrong(name_of(s), std::string("must be a number, not ") + util::json_kind(v));
    const double d = v.GetDouble();
    const bool within = d >= s.min && d <= s.max;
    const bool whole = s.type != Type::integer || d == std::floor(d);
    if (s.reader == Reader::fleet && s.type == Type::integer && !(within && whole))
        util::option_wrong(name_of(s),
                           "must be a whole number from " + number_text(s.min) + " to " + number_text(s.max));
    if (!within)
        util::option_wrong(name_of(s), "must be between " + value_text(s.min) + " and " + value_text(s.max) +
                                           ", not " + value_text(d));
    if (!whole)
        util::option_wrong(name_of(s), "must be a whole number");
    return d;
}

} // namespace fwm::options
