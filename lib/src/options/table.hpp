// The option table generated from spec.yaml, and its look-ups. A reader
// names its options through option(), which is evaluated while compiling:
// a name that is not in spec.yaml does not compile.
#pragma once

#include <chrono>
#include <string_view>

#include "options/spec.hpp"
#include "options/table.gen.hpp"

namespace fwm::options {

consteval const OptionSpec& option(std::string_view name, Section section = Section::instances)
{
    for (const OptionSpec& o : kTable)
        if (o.name == name && o.section == section)
            return o;
    throw "not an option of spec.yaml"; // a compile error: option() runs while compiling
}

// The defaults, for the structures the readers fill.
consteval const OptionSpec& with_default(std::string_view name, Type type)
{
    const OptionSpec& o = option(name);
    if (!o.has_default || o.type != type)
        throw "spec.yaml gives this option no default of that type";
    return o;
}

consteval bool default_flag(std::string_view name)
{
    return with_default(name, Type::boolean).flag;
}

consteval double default_number(std::string_view name)
{
    const OptionSpec& o = option(name);
    return with_default(name, o.type == Type::integer ? Type::integer : Type::number).number;
}

consteval std::string_view default_text(std::string_view name)
{
    return with_default(name, Type::string).text;
}

consteval std::span<const double> default_numbers(std::string_view name)
{
    return with_default(name, Type::array).numbers;
}

consteval std::chrono::milliseconds default_ms(std::string_view name)
{
    return std::chrono::milliseconds(static_cast<long long>(default_number(name) * 1000 + 0.5));
}

consteval std::chrono::seconds default_seconds(std::string_view name)
{
    return std::chrono::seconds(static_cast<long long>(with_default(name, Type::integer).number));
}

} // namespace fwm::options
