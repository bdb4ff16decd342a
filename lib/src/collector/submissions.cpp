#include "collector/submissions.hpp"

#include <charconv>
#include <string_view>
#include <stdexcept>

#include "mapping/json_groups.hpp"

namespace fwm::collector {

using mapping::JsonGroups;

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
    if (tags_.size() > UINT32_MAX || points_.size() > UINT32_MAX || buckets_.size() > UINT32_MAX)
        throw std::length_error("one run's submissions pass 4 GiB");
    Group& g = groups_.back();
    g.points_end = static_cast<std::uint32_t>(points_.size());
    g.buckets_end = static_cast<std::uint32_t>(buckets_.size());
}

void Submissions::group(const std::vector<std::string_view>& tags)
{
    close_group();
    tags_ += '[';
    for (std::size_t i = 0; i < tags.size(); ++i) {
        if (i)
            tags_ += ',';
        JsonGroups::write_string(tags_, tags[i]);
    }
    tags_ += ']';
    deployment_.clear();
    for (const auto t : tags)
        if (t.substr(0, 14) == "deployment_id:")
            deployment_.assign(t.substr(14));
    groups_.push_back(Group{static_cast<std::uint32_t>(tags_.size()), 0, 0});
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
    std::size_t n = tags_.capacity() + groups_.capacity() * sizeof(Group) + points_.capacity() * sizeof(Point) +
                    buckets_.capacity() * sizeof(BucketPoint);
    for (const auto& s : names_)
        n += sizeof(s) + s.capacity();
    return n;
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
    out += "{\"names\":[";
    for (std::size_t i = 0; i < names_.size(); ++i) {
        if (i)
            out += ',';
        JsonGroups::write_string(out, names_[i]);
    }
    out += "],\"groups\":[";
    auto index = [&out](std::uint32_t name, bool& first) {
        if (!first)
            out += ',';
        first = false;
        char buf[16];
        const auto r = std::to_chars(buf, buf + sizeof buf, name);
        out.append(buf, r.ptr);
    };
    std::size_t points = 0;
    for (bool first = true; next_group_ < groups_.size() && (first || points < kBatchPoints); first = false) {
        const std::size_t i = next_group_++;
        const Group& g = groups_[i];
        const std::uint32_t tags_begin = i ? groups_[i - 1].tags_end : 0;
        const std::uint32_t points_begin = i ? groups_[i - 1].points_end : 0;
        const std::uint32_t buckets_begin = i ? groups_[i - 1].buckets_end : 0;
        if (!first)
            out += ',';
        out += '[';
        out.append(tags_, tags_begin, g.tags_end - tags_begin);
        // Gauges, then counts: their names here, their values in order.
        for (const bool counts : {false, true}) {
            out += ",[";
            bool first_name = true;
            for (std::uint32_t p = points_begin; p < g.points_end; ++p) {
                const Point& x = points_[p];
                if (((x.name & kCount) != 0) != counts)
                    continue;
                index(x.name & ~kCount, first_name);
                values.push_back(x.value);
            }
            out += ']';
        }
        out += ",[";
        bool first_name = true;
        for (std::uint32_t b = buckets_begin; b < g.buckets_end; ++b) {
            const BucketPoint& x = buckets_[b];
            index(x.name, first_name);
            values.insert(values.end(), {x.count, x.lower, x.upper});
        }
        out += "]]";
        points += (g.points_end - points_begin) + (g.buckets_end - buckets_begin);
    }
    out += "]}";
    return true;
}

} // namespace fwm::collector
