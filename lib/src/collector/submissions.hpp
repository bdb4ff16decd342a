// A run's submissions, kept compactly (16 bytes a gauge or count, 32 a
// bucket, each group's tags once) until the caller pulls them in batches:
// the whole run never exists as one document, in C++ or in Python.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleet/report.hpp"
#include "mapping/sink.hpp"

namespace fwm::collector {

class Submissions final : public mapping::Sink {
public:
    // Points per batch, roughly (a batch holds whole groups, at least one).
    static constexpr std::size_t kBatchPoints = 4096;

    void group(const std::vector<std::string_view>& tags) override;
    void gauge(const std::string& name, double value) override;
    void count(const std::string& name, double value) override;
    void bucket(const std::string& name, double count, double lower, double upper) override;

    // Replaces `out` and `values` with the next batch, in the form fwm.h
    // documents for fwm_result_next_batch; false (both empty) when none is left.
    bool next_batch(std::string& out, std::vector<double>& values);

    std::size_t groups() const { return groups_.size(); }
    // What this run's gauges say of each deployment_id: its prompt tokens
    // per second (the *.tokens.prompt.rate gauges summed over its series;
    // the cost per million tokens needs the rate of the same run) and its
    // deployment_replicas gauge, where Fireworks sends that.
    const std::map<std::string, fleet::Observed>& observed() const { return observed_; }
    std::size_t points() const { return points_.size() + buckets_.size(); }
    std::size_t bytes() const; // held now, roughly

private:
    struct Group {
        std::uint32_t tags_end;    // in tag_ends_
        std::uint32_t points_end;  // in points_
        std::uint32_t buckets_end; // in buckets_
    };
    struct Point {
        std::uint32_t name; // in names_; the high bit marks a count
        double value;
    };
    struct BucketPoint {
        std::uint32_t name;
        double count, lower, upper;
    };
    static constexpr std::uint32_t kCount = 0x80000000u;

    std::uint32_t intern(const std::string& name);
    void close_group();
    // Writes group i into a batch and its values after `values`; its point count.
    template <class Writer>
    std::size_t write_group(Writer& w, std::size_t i, std::vector<double>& values) const;

    std::vector<std::string> names_;
    enum class Watched : std::uint8_t { none, prompt_rate, replicas };
    std::vector<Watched> watched_; // per name in names_
    std::unordered_map<const std::string*, std::uint32_t> ids_; // the mapper's names are stable during a run
    std::string tag_bytes_;               // every group's tags, back to back, as they are
    std::vector<std::uint32_t> tag_ends_; // where each tag ends in tag_bytes_
    std::vector<Group> groups_;
    std::vector<Point> points_;
    std::vector<BucketPoint> buckets_;
    std::string deployment_;  // the current group's deployment_id tag value
    std::map<std::string, fleet::Observed> observed_;
    std::size_t next_group_ = 0;
};

} // namespace fwm::collector
