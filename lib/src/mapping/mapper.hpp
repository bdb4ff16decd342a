// Maps parsed Fireworks series to Datadog submissions, grouped by tag set so
// that the Python side builds each tag list once. Holds the little state
// that must outlive a run: when each histogram group and rate series was
// last submitted, the fractional remainders of their counts, and which
// series owns each Datadog name.
//
// A series' identity is its name and the set of tags it is submitted with
// (its labels once `le`, the excluded labels and the empty values are left
// out, in any order, with the derived model tag, and none an instance tag
// repeats): series that become one are merged (see naming.hpp's Merge), so
// no run submits a name and tag set twice.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mapping/joined_tags.hpp"
#include "mapping/options.hpp"
#include "mapping/sink.hpp"
#include "mapping/table.hpp"
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

// Distinct series names (with their type) the mapper keeps: Fireworks has a
// few dozen; a payload with more is not one to map in full, and the table
// stays small whatever arrives.
inline constexpr std::size_t kMaxNames = 10000;

// What the filters decided for a name or a deployment.
enum class Verdict : std::uint8_t { keep, drop, costly };

// The forms of a name a filter is tried on.
using Subjects = std::array<std::string_view, 3>;

// Time the filters of one run may take (new names and deployments only:
// verdicts are kept between runs).
inline constexpr std::chrono::milliseconds kFilterBudget{1000};

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
    // The same, appending the JSON array of json_groups.hpp to `out`.
    MapStats map(const parser::ParseResult& r, double now, std::string& out);

    const MappingOptions& options() const { return options_; }

    // Tags to add to every group of a deployment from now on (null: none).
    void join_tags(std::shared_ptr<const JoinedTags> tags) { joined_ = std::move(tags); }
    std::size_t state_entries() const; // carries
    std::size_t name_entries() const { return names_.size(); }
    std::size_t deployment_entries() const { return deployments_.size(); }
    std::size_t claimed_names() const { return claims_.size(); }
    std::size_t state_bytes() const; // what the state holds between runs, roughly

private:
    struct NameInfo;
    struct Carry;
    struct Run;
    struct Group;
    struct Entry;
    struct Claim {
        const void* owner = nullptr; // the table row, or the NameInfo of an unknown series
        std::uint32_t users = 0;
    };
    struct DeploymentInfo {
        Verdict verdict = Verdict::keep;
        const Pattern* culprit = nullptr;
        std::uint64_t last_run = 0;
    };

    // The steps of a run, in order.
    bool select(Run& run, const parser::Sample& s, const NameInfo*& info, const std::string_view*& deployment);
    Group& group_of(Run& run, std::uint32_t index, bool histogram);
    void merge(Run& run, Group& g, const NameInfo& info, const parser::Sample& s);
    void decumulate_and_carry(Run& run, const Group& g, Entry& e);
    void quantiles(Run& run, Entry& e);
    void emit(Run& run, const Group& g, Sink& sink);

    const NameInfo& name_info(const parser::ParseResult& r, const parser::Sample& s);
    void name_series(NameInfo& info, std::string_view full_name, const KnownSeries* known);
    const std::string* claim(const std::string& name, const void* owner);
    bool claimable(const std::string& name, const void* owner) const;
    void release(const NameInfo& info);
    Verdict deployment_verdict(std::string_view id, const Pattern*& culprit);
    Verdict judge(const std::vector<Pattern>& allow, const std::vector<Pattern>& exclude, const Subjects& names,
                  const Pattern*& culprit);
    void evict(double now);
    void prune(double now);

    MappingOptions options_;
    std::vector<std::string> instance_tags_; // options_.tags and agent_tags, sorted
    std::unordered_map<std::string, std::unique_ptr<NameInfo>> names_;
    std::unique_ptr<NameInfo> over_cap_; // stands for every name past kMaxNames
    std::unordered_map<std::string, Claim> claims_; // Datadog name -> its owner; keys are the names submitted
    std::unordered_map<std::string, DeploymentInfo> deployments_;
    std::unordered_map<std::uint64_t, Carry> carry_;
    double last_eviction_ = 0;
    std::uint64_t run_ = 0; // map() calls so far
    std::chrono::steady_clock::duration filter_spent_{};
    bool filter_over_budget_ = false;
    std::unique_ptr<Run> current_; // between begin() and finish()
    std::shared_ptr<const JoinedTags> joined_;
};

} // namespace fwm::mapping
