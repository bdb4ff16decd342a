// Step 1 of a run, continued: what each series name (with its type) is, kept
// between runs. Its kind and merge rule, the filters' verdict, and the
// Datadog names it is submitted under, claimed so that two series never
// share one by accident (naming.hpp has the rules that derive them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mapping/filters.hpp"
#include "mapping/naming.hpp"
#include "mapping/options.hpp"
#include "mapping/table.hpp"
#include "parser/parser.hpp"

namespace fwm::mapping {

// Distinct series names (with their type) the mapper keeps: Fireworks has a
// few dozen; a payload with more is not one to map in full, and the table
// stays small whatever arrives.
inline constexpr std::size_t kMaxNames = 10000;

struct NameInfo {
    Verdict verdict = Verdict::keep;
    bool over_cap = false;            // the stand-in for names past kMaxNames
    bool created = false;             // a _created sample: never submitted
    bool renamed = false;             // its derived name was taken: fireworks.series.*
    const Pattern* culprit = nullptr; // the pattern that gave up, when costly
    std::uint64_t last_run = 0;       // for pruning names that stopped coming
    Kind kind = Kind::gauge;
    Merge merge = Merge::mean;
    // Keys of the claims: one address per Datadog name, whichever series uses it.
    const std::string* datadog = nullptr;    // gauge, rate or distribution name
    const std::string* count_name = nullptr; // rates: the .count companion
    std::vector<const std::string*> quantile_names; // histograms
};

class NameTable {
public:
    // What sample `s` of `r` is, in run `run`: made on first sight, judged
    // again while its verdict is costly. Past kMaxNames names, one stand-in
    // that drops the sample.
    const NameInfo& info(const parser::ParseResult& r, const parser::Sample& s, std::uint64_t run,
                         const MappingOptions& options, Filters& filters);

    // Forgets the names that did not come in `run`, when they outnumber the live ones.
    void prune(std::uint64_t run);
    // Names renamed (fireworks.series.*) among those that came in `run`.
    std::size_t renamed(std::uint64_t run) const;
    std::size_t size() const { return names_.size(); }
    std::size_t bytes() const;

private:
    struct Claim {
        const void* owner = nullptr; // the table row, or the NameInfo of an unknown series
        std::uint32_t users = 0;
    };

    const NameInfo& over_cap();
    const NameInfo& add(std::string key, std::unique_ptr<NameInfo> info);
    void name_series(NameInfo& info, std::string_view full_name, const KnownSeries* known,
                     const std::vector<double>& quantiles);
    const std::string* claim(const std::string& name, const void* owner);
    bool claimable(const std::string& name, const void* owner) const;
    void release(const NameInfo& info);

    std::unordered_map<std::string, std::unique_ptr<NameInfo>> names_;
    std::unique_ptr<NameInfo> over_cap_; // stands for every name past kMaxNames
    std::unordered_map<std::string, Claim> claims_; // Datadog name -> its owner; keys are the names submitted
};

} // namespace fwm::mapping
