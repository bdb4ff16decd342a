// A reader's options as a list of fields, each binding a row of the option
// table to where its value goes. read_fields() reads a JSON object through
// them; covers() proves while compiling that a reader binds every option
// spec.yaml gives it, and member() that the member holds the row's type and
// bounds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <rapidjson/document.h>

#include "options/get.hpp"
#include "options/table.hpp"
#include "util/option_error.hpp"

namespace fwm::options {

template <class Out>
struct Field {
    const OptionSpec* spec;
    void (*read)(const OptionSpec&, const rapidjson::Value&, Out&);
};

namespace detail {

template <class M>
struct member_type;
template <class C, class T>
struct member_type<T C::*> {
    using type = T;
};

template <auto First, auto... Rest>
struct last_member : last_member<Rest...> {};
template <auto Last>
struct last_member<Last> {
    using type = typename member_type<decltype(Last)>::type;
};

template <class T>
inline constexpr bool is_count = std::is_integral_v<T> && std::is_unsigned_v<T> && !std::is_same_v<T, bool>;

// Whether a member of type T holds every value the row allows.
template <class T>
consteval bool holds(const OptionSpec& s)
{
    const bool finite = s.min > -kUnbounded && s.max < kUnbounded;
    if (s.type != Type::array && s.type != Type::object && s.min_exclusive)
        return false; // the getters word inclusive bounds only
    if constexpr (std::is_same_v<T, bool>)
        return s.type == Type::boolean;
    else if constexpr (std::is_same_v<T, std::string>)
        return s.type == Type::string;
    else if constexpr (std::is_same_v<T, std::vector<std::string>>)
        return s.type == Type::array && s.item == Type::string;
    else if constexpr (std::is_same_v<T, double>)
        return s.type == Type::number || s.type == Type::integer;
    else if constexpr (std::is_same_v<T, std::chrono::milliseconds>)
        return s.type == Type::number && finite && s.min >= 0 && s.max <= 1e9;
    else if constexpr (std::is_same_v<T, std::chrono::seconds>)
        return s.type == Type::integer && finite && s.min >= 0 && s.max <= 1e12;
    else if constexpr (is_count<T>)
        return s.type == Type::integer && finite && s.min >= 0 && s.max <= double(std::numeric_limits<T>::max());
    else
        return false;
}

template <class T>
T value_as(const OptionSpec& s, const rapidjson::Value& v)
{
    if constexpr (std::is_same_v<T, bool>)
        return get_bool(s, v);
    else if constexpr (std::is_same_v<T, std::string>)
        return get_string(s, v);
    else if constexpr (std::is_same_v<T, std::vector<std::string>>)
        return get_strings(s, v);
    else if constexpr (std::is_same_v<T, double>)
        return get_number(s, v);
    else if constexpr (std::is_same_v<T, std::chrono::milliseconds>)
        return std::chrono::milliseconds(std::llround(get_number(s, v) * 1000));
    else if constexpr (std::is_same_v<T, std::chrono::seconds>)
        return std::chrono::seconds(static_cast<long long>(get_number(s, v)));
    else
        return static_cast<T>(get_number(s, v)); // in the row's bounds, which holds() checked
}

// out.*Path[0].*Path[1]... = the value.
template <class Out, auto... Path>
void store(const OptionSpec& s, const rapidjson::Value& v, Out& out)
{
    (out .* ... .* Path) = value_as<typename last_member<Path...>::type>(s, v);
}

} // namespace detail

// A field whose value goes to out.*Path..., read by its C++ type's getter.
template <class Out, auto... Path>
consteval Field<Out> member(const OptionSpec& row)
{
    if (!detail::holds<typename detail::last_member<Path...>::type>(row))
        throw "the member cannot hold every value the option's row allows";
    return {&row, &detail::store<Out, Path...>};
}

template <class Out, auto... Path>
consteval Field<Out> member(std::string_view name)
{
    return member<Out, Path...>(option(name));
}

// A field read by a function of the reader's own.
template <class Out>
consteval Field<Out> custom(std::string_view name, void (*read)(const OptionSpec&, const rapidjson::Value&, Out&))
{
    return {&option(name), read};
}

// Whether every option of `reader` in the table has a field.
template <class Out, std::size_t N>
consteval bool covers(const Field<Out> (&fields)[N], Reader reader)
{
    for (const OptionSpec& row : kTable) {
        bool bound = row.reader != reader;
        for (const Field<Out>& f : fields)
            bound = bound || f.spec == &row;
        if (!bound)
            return false;
    }
    return true;
}

// Reads every member of `object` through its field; a name without one is
// unknown unless the caller reads it itself (`also_known`).
template <class Out, std::size_t N>
void read_fields(const rapidjson::Value& object, const Field<Out> (&fields)[N], Out& out,
                 std::initializer_list<const char*> also_known = {})
{
    // Index loops: clang reads RapidJSON's iterator comparisons as ambiguous in C++20.
    for (rapidjson::SizeType i = 0; i < object.MemberCount(); ++i) {
        const auto& m = *(object.MemberBegin() + i);
        const std::string_view name(m.name.GetString(), m.name.GetStringLength());
        const Field<Out>* field =
            std::find_if(fields, fields + N, [&](const Field<Out>& f) { return f.spec->name == name; });
        if (field != fields + N)
            field->read(*field->spec, m.value, out);
        else if (std::none_of(also_known.begin(), also_known.end(), [&](const char* k) { return name == k; }))
            throw util::OptionError("unknown option '" + std::string(name.substr(0, 64)) + "'");
    }
}

} // namespace fwm::options
