// Where the mapper writes a run's submissions: one group per tag set, then
// that group's points. The mapper knows nothing of JSON or of the ABI; the
// collector keeps the points compactly and the C ABI hands them to Python.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fwm::mapping {

class Sink {
public:
    virtual ~Sink() = default;

    // Starts a group: every point until the next group carries these tags
    // ("key:value", valid only during the call). Only groups with points
    // are started.
    virtual void group(const std::vector<std::string_view>& tags) = 0;
    // Names are complete Datadog names (namespace included).
    virtual void gauge(const std::string& name, double value) = 0;
    // A whole count of events since the previous run.
    virtual void count(const std::string& name, double value) = 0;
    // A distribution's whole count of observations between two bounds, for
    // submit_histogram_bucket(monotonic=False); `upper` may be +Inf.
    virtual void bucket(const std::string& name, double count, double lower, double upper) = 0;
};

} // namespace fwm::mapping
