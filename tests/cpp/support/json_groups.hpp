// The mapper's submissions as one readable JSON array, for the tests and
// the fuzz target (the C ABI hands them out as batches:
// collector/submissions.hpp):
//   [{"tags":[...], "gauges":[[name, value], ...], "counts":[...] (optional),
//     "buckets":[[name, count, lower, upper], ...] (optional)}, ...]
// Whole numbers are written as integers; NaN and infinities as NaN,
// Infinity and -Infinity (RapidJSON's kParseNanAndInfFlag reads them).
#pragma once

#include <string>

#include "mapping/mapper.hpp"
#include "mapping/sink.hpp"
#include "parser/parser.hpp"

namespace fwm::test {

class JsonGroups final : public mapping::Sink {
public:
    explicit JsonGroups(std::string& out);
    ~JsonGroups() override;
    JsonGroups(const JsonGroups&) = delete;
    JsonGroups& operator=(const JsonGroups&) = delete;

    void group(const std::vector<std::string_view>& tags) override;
    void gauge(const std::string& name, double value) override;
    void count(const std::string& name, double value) override;
    void bucket(const std::string& name, double count, double lower, double upper) override;

    // Closes the open group and the array; also done by the destructor.
    void finish();

private:
    enum class Section { none, gauges, counts, buckets };
    void enter(Section s);
    void pair(Section s, const std::string& name, double value);

    std::string& out_;
    Section section_ = Section::none;
    bool any_group_ = false;
    bool first_in_section_ = true;
    bool finished_ = false;
};

// Mapper::map() into a JsonGroups: the array appended to `out`.
mapping::MapStats map_json(mapping::Mapper& m, const parser::ParseResult& r, double now, std::string& out);

} // namespace fwm::test
