// Maps parsed Fireworks series to Datadog submissions, grouped by tag set so
// that the Python side builds each tag list once. A run is a pipeline of
// named steps, each in its own file:
//
//   1. select    the filters (filters.hpp) on what the names table
//                (names.hpp) knows of each series name
//   2. group     the identity: samples with one tag set (identity.hpp)
//   3. merge     series of one identity and Datadog name become one entry
//   4. carry     rates and histogram buckets become whole counts since the
//                series' last run (carry.hpp)
//   5. quantiles histogram_quantile on the merged buckets (quantile.hpp)
//   6. emit      each group's tags and points, into a Sink (sink.hpp)
//
// The state that outlives a run is the names table, the filters' verdicts
// and the carries; it stays bounded whatever the payloads (prune.hpp).
//
// A series' identity is its name and the set of tags it is submitted with
// (its labels once `le`, the excluded labels and the empty values are left
// out, in any order, with the derived model tag, and none an instance tag
// repeats): series that become one are merged (see naming.hpp's Merge), so
// no run submits a name and tag set twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mapping/carry.hpp"
#include "mapping/filters.hpp"
#include "mapping/joined_tags.hpp"
#include "mapping/names.hpp"
#include "mapping/options.hpp"
#include "mapping/sink.hpp"
#include "parser/parser.hpp"

namespace fwm::mapping {

struct MapStats {
    std::size_t series = 0;               // samples looked at
    std::size_t filtered = 0;             // left out by metrics/exclude_metrics/deployments
    std::size_t created = 0;              // OpenMetrics _created samples, never submitted
    std::size_t merged = 0;               // series folded into another of the same identity
    std::size_t groups = 0;               // tag sets submitted
    std::size_t points = 0;               // submissions written
    std::size_t deployments = 0;          // distinct deployment_id values
    std::size_t malformed_histograms = 0; // groups used where possible, but malformed
    std::size_t non_finite = 0;           // NaN or infinite values not submitted
    std::size_t filter_gave_up = 0;       // dropped because a filter pattern hit the engine's bound
    const Pattern* costly_pattern = nullptr; // one such pattern (owned by the mapper's options)
    bool filter_over_budget = false;      // the filters used up their time for this run
    std::size_t over_name_cap = 0;        // skipped: their name came past kMaxNames distinct names
    std::size_t renamed = 0;              // unknown series whose derived name was taken (fireworks.series.*)
};

class Mapper {
public:
    explicit Mapper(MappingOptions options);
    ~Mapper();
    Mapper(Mapper&&) noexcept;

    // Maps one payload at `now` (seconds on a monotonic clock) into `sink`.
    MapStats map(const parser::ParseResult& r, double now, Sink& sink);

    // The same in steps, for a payload parsed in chunks
    // (parser::parse_chunked): begin(), add() for each chunk, then finish()
    // or, to leave the state as it was, abandon(). The chunks' strings must
    // stay valid until finish().
    void begin(double now);
    void add(const parser::ParseResult& chunk);
    MapStats finish(Sink& sink);
    void abandon();

    const MappingOptions& options() const { return options_; }

    // Tags to add to every group of a deployment from now on (null: none).
    void join_tags(std::shared_ptr<const JoinedTags> tags) { joined_ = std::move(tags); }
    std::size_t state_entries() const { return carry_.size(); }
    std::size_t name_entries() const { return names_.size(); }
    std::size_t deployment_entries() const { return filters_.deployment_entries(); }
    std::size_t state_bytes() const; // what the state holds between runs, roughly

private:
    struct Run;
    struct Group;
    struct Entry;

    // The steps of a run, in order.
    bool select(Run& run, const parser::Sample& s, const NameInfo& info);
    void merge(Run& run, Group& g, const NameInfo& info, const parser::Sample& s);
    void finish_group(Run& run, std::uint32_t g);
    void finish_value(Run& run, const Entry& e, const CarryOwner& group);
    void finish_histogram(Run& run, Entry& e, const CarryOwner& group);
    void quantiles(Run& run, Entry& e);
    void emit(Run& run, std::uint32_t g, Sink& sink);
    void upkeep(double now);

    MappingOptions options_;
    std::vector<std::string> instance_tags_; // options_.tags and agent_tags, sorted
    Filters filters_;
    NameTable names_;
    CarryTable carry_;
    double last_eviction_ = 0;
    std::uint64_t run_ = 0; // map() calls so far
    std::unique_ptr<Run> current_; // between begin() and finish()
    std::shared_ptr<const JoinedTags> joined_;
};

} // namespace fwm::mapping
