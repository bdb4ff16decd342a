#include "collector/submissions.hpp"

#include <string_view>
#include <stdexcept>

#include "util/json_sink.hpp"

namespace fwm::collector {

std::uint32_t Submissions::intern(const std::string& name)
{
    const auto [it, inserted] = ids_.try_emplace(&name, static_cast<std::uint32_t>(names_.size()));
    if (inserted) {
        if (names_.size() >= kCount)
            throw std::length_error("too many distinct names in one run");
        names_.push_back(name);
        // Which names the run observes, decided once per name, not per point.
        const auto ends = [&](std::string_view tail) {
            return name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
        };
        watched_.push_back(ends(".tokens.prompt.rate")   ? Watched::prompt_rate
                           : ends(".deployment_replicas") ? Watched::replicas
                                                          : Watched::none);
    }
    return it->second;
}

void Submissions::close_group()
{
    if (groups_.empty())
        return;
    if (tag_bytes_.size() > UINT32_MAX || tag_ends_.size() > UINT32_MAX || points_.size() > UINT32_MAX ||
        buckets_.size() > UINT32_MAX)
        throw std::length_error("one run's submissions pass 4 GiB");
    Group& g = groups_.back();
    g.points_end = static_cast<std::uint32_t>(points_.size());
    g.buckets_end = static_cast<std::uint32_t>(buckets_.size());
}

void Submissions::group(const std::vector<std::string_view>& tags)
{
    close_group();
    for (const auto t : tags) {
        tag_bytes_ += t;
        tag_ends_.push_back(static_cast<std::uint32_t>(tag_bytes_.size())); // checked by close_group()
    }
    deployment_.clear();
    for (const auto t : tags)
        if (t.substr(0, 14) == "deployment_id:")
            deployment_.assign(t.substr(14));
    groups_.push_back(Group{static_cast<std::uint32_t>(tag_ends_.size()), 0, 0});
    close_group();
}

void Submissions::gauge(const std::string& name, double value)
{
    const std::uint32_t id = intern(name);
    if (watched_[id] != Watched::none && !deployment_.empty()) {
        auto& seen = watched_[id] == Watched::prompt_rate ? observed_[deployment_].prompt_tokens_per_s
                                                          : observed_[deployment_].replicas;
        seen = seen.value_or(0) + value;
    }
    points_.push_back(Point{id, value});
    groups_.back().points_end = static_cast<std::uint32_t>(points_.size());
}

void Submissions::count(const std::string& name, double value)
{
    points_.push_back(Point{intern(name) | kCount, value});
    groups_.back().points_end = static_cast<std::uint32_t>(points_.size());
}

void Submissions::bucket(const std::string& name, double count, double lower, double upper)
{
    buckets_.push_back(BucketPoint{intern(name), count, lower, upper});
    groups_.back().buckets_end = static_cast<std::uint32_t>(buckets_.size());
}

std::size_t Submissions::bytes() const
{
    std::size_t n = tag_bytes_.capacity() + tag_ends_.capacity() * sizeof(std::uint32_t) +
                    groups_.capacity() * sizeof(Group) + points_.capacity() * sizeof(Point) +
                    buckets_.capacity() * sizeof(BucketPoint);
    for (const auto& s : names_)
        n += sizeof(s) + s.capacity();
    return n;
}

template <class Writer>
std::size_t Submissions::write_group(Writer& w, std::size_t i, std::vector<double>& values) const
{
    const Group& g = groups_[i];
    const Group from = i ? groups_[i - 1] : Group{0, 0, 0};
    w.StartArray();
    w.StartArray();
    for (std::uint32_t t = from.tags_end; t < g.tags_end; ++t) {
        const std::uint32_t begin = t ? tag_ends_[t - 1] : 0;
        w.String(tag_bytes_.data() + begin, tag_ends_[t] - begin);
    }
    w.EndArray();
    // Gauges, then counts: their names here, their values in order.
    for (const bool counts : {false, true}) {
        w.StartArray();
        for (std::uint32_t p = from.points_end; p < g.points_end; ++p) {
            const Point& x = points_[p];
            if (((x.name & kCount) != 0) != counts)
                continue;
            w.Uint(x.name & ~kCount);
            values.push_back(x.value);
        }
        w.EndArray();
    }
    w.StartArray();
    for (std::uint32_t b = from.buckets_end; b < g.buckets_end; ++b) {
        const BucketPoint& x = buckets_[b];
        w.Uint(x.name);
        values.insert(values.end(), {x.count, x.lower, x.upper});
    }
    w.EndArray();
    w.EndArray();
    return (g.points_end - from.points_end) + (g.buckets_end - from.buckets_end);
}

// A batch is built for the cheapest decoding in Python: the structure as
// JSON that holds no number but small name indices (shared objects in
// CPython), and every value as a double in one array, which Python turns
// into floats in one C loop instead of parsing each from text.
bool Submissions::next_batch(std::string& out, std::vector<double>& values)
{
    out.clear();
    values.clear();
    if (next_group_ >= groups_.size())
        return false;
    util::StringSink sink{out};
    util::JsonWriter w(sink);
    w.StartObject();
    w.Key("names");
    w.StartArray();
    for (const std::string& name : names_)
        util::write_string(w, name);
    w.EndArray();
    w.Key("groups");
    w.StartArray();
    std::size_t points = 0;
    for (bool first = true; next_group_ < groups_.size() && (first || points < kBatchPoints); first = false)
        points += write_group(w, next_group_++, values);
    w.EndArray();
    w.EndObject();
    return true;
}

} // namespace fwm::collector
