// Reading fields of Fireworks' API answers, which follow protobuf's JSON
// mapping: int64 values may come as strings, any field may be missing, and
// an answer from the network is hostile until checked. Every field that is
// present but unusable is noted as a problem and read as absent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace fwm::fleet {

// Problems met while reading one answer: counted, the first few kept.
struct Problems {
    static constexpr std::size_t kKept = 5;
    std::size_t count = 0;
    std::vector<std::string> first;
    void add(std::string what);
};

// A bounded, printable copy of a string field (clean_text), or nothing.
std::optional<std::string> text_field(const rapidjson::Value& object, const char* name, std::string_view where,
                                      std::size_t max_bytes, Problems& problems);

// A count: a non-negative JSON integer or a string of decimal digits (an
// int64 in protobuf JSON), read exactly; nothing when absent or unusable.
std::optional<std::uint64_t> count_field(const rapidjson::Value& object, const char* name, std::string_view where,
                                         Problems& problems);

// A non-negative finite quantity: a JSON number or a decimal string
// ("12", "12.5"), read with correct rounding.
std::optional<double> quantity_field(const rapidjson::Value& object, const char* name, std::string_view where,
                                     Problems& problems);

// Parses one API answer into `doc` (iteratively: no nesting depth can
// exhaust the stack). Throws std::runtime_error naming `what` ("the usage
// answer") when it is not valid JSON or not a mapping.
void parse_answer(std::string_view json, const char* what, rapidjson::Document& doc);

// Exactly reads a string of 1 to 20 decimal digits into a uint64.
std::optional<std::uint64_t> parse_count(std::string_view digits) noexcept;

// The last path segment of a resource name ("accounts/a/deployments/d" -> "d").
std::string_view last_segment(std::string_view name) noexcept;

} // namespace fwm::fleet
