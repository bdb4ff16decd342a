// Test helper: parses a payload it owns, so that the result's views stay valid.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "parser/parser.hpp"

namespace fwm::parser {
// Printable enums make Boost.Test failures readable.
inline std::ostream& operator<<(std::ostream& os, MetricType t) { return os << to_string(t); }
inline std::ostream& operator<<(std::ostream& os, Format f) { return os << to_string(f); }
} // namespace fwm::parser

namespace fwm::test {

struct Parsed {
    std::string text;
    parser::ParseResult result;

    Parsed(std::string payload, const parser::ParseOptions& options = {})
        : text(std::move(payload)), result(parser::parse(text, options))
    {
    }

    const parser::Sample& sample(std::size_t i) const { return result.samples.at(i); }
    std::size_t size() const { return result.samples.size(); }

    std::string label(std::size_t i, std::string_view name) const
    {
        const std::string_view* v = result.find_label(sample(i), name);
        return v ? std::string(*v) : std::string("<missing>");
    }

    std::vector<std::pair<std::string, std::string>> labels(std::size_t i) const
    {
        std::vector<std::pair<std::string, std::string>> out;
        const auto& s = sample(i);
        for (std::uint32_t k = 0; k < s.labels_count; ++k) {
            const auto& l = result.labels[s.labels_begin + k];
            out.emplace_back(std::string(l.name), std::string(l.value));
        }
        return out;
    }

    // "name=value,name=value" in payload order, for compact assertions.
    std::string label_list(std::size_t i) const
    {
        std::string out;
        for (const auto& [k, v] : labels(i)) {
            if (!out.empty())
                out += ',';
            out += k + "=" + v;
        }
        return out;
    }

    std::string error(std::size_t i) const
    {
        const auto& e = result.errors.at(i);
        return std::to_string(e.line) + ": " + e.reason;
    }

    bool points_into_input(std::string_view v) const
    {
        return v.data() >= text.data() && v.data() + v.size() <= text.data() + text.size();
    }
};

} // namespace fwm::test
