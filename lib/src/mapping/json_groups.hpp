// A Sink that writes the groups as one JSON array:
//   [{"tags":[...], "gauges":[[name, value], ...], "counts":[...] (optional),
//     "buckets":[[name, count, lower, upper], ...] (optional)}, ...]
// Whole numbers are written as integers; +Inf as Infinity (Python's json
// reads it). For tests, benchmarks, fuzzing and the batches of the C ABI.
#pragma once

#include <string>

#include "mapping/sink.hpp"

namespace fwm::mapping {

class JsonGroups final : public Sink {
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

    // The same rendering, for callers that keep points their own way.
    static void write_number(std::string& out, double v);
    static void write_string(std::string& out, std::string_view s);

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

} // namespace fwm::mapping
