// One row of the option table: what spec.yaml says of an option. The rows
// are generated (options/table.gen.hpp); a reader keeps a row of its own
// only for an option of the C ABI that no conf.yaml sets (refresh_period).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

namespace fwm::options {

// The config spec's value types.
enum class Type : std::uint8_t { none, boolean, integer, number, string, array, object };

enum class Section : std::uint8_t { init_config, instances };

// Who reads the value: a reader of the library, the Python shim (which may
// pass on what it makes of it), the Agent alone, or nobody (an HTTP option
// of other Datadog checks that this one ignores, with a warning).
enum class Reader : std::uint8_t { client, mapping, fleet, shim, agent, unsupported };

inline constexpr double kUnbounded = std::numeric_limits<double>::infinity();

struct OptionSpec {
    std::string_view name;
    Section section = Section::instances;
    Reader reader = Reader::agent;
    Type type = Type::none;
    Type item = Type::none; // the entries' type, for a list or a mapping
    // The value's bounds; for a list or a mapping, its entries'.
    double min = -kUnbounded;
    double max = kUnbounded;
    bool min_exclusive = false;
    bool has_default = false;
    bool flag = false;                     // a boolean's default
    double number = 0;                     // an integer's or a number's default
    std::string_view text = {};            // a string's default
    std::span<const double> numbers = {};  // a list of numbers' default
};

} // namespace fwm::options
