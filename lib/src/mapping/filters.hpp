// Step 1 of a run, the filters: which series and deployments are submitted
// at all (`metrics`, `exclude_metrics`, `deployments`). Verdicts are kept
// between runs; the filters of one run share a time budget.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mapping/options.hpp"

namespace fwm::mapping {

// What the filters decided for a name or a deployment.
enum class Verdict : std::uint8_t { keep, drop, costly };

// The forms of a name a filter is tried on.
using Subjects = std::array<std::string_view, 3>;

// Time the filters of one run may take (new names and deployments only:
// verdicts are kept between runs).
inline constexpr std::chrono::milliseconds kFilterBudget{1000};

// A series name, without its aggregation suffix, and without _bucket: the
// forms a filter may name.
Subjects filter_subjects(std::string_view name);

// Whether a series passes the allow list (empty: everything) and the
// exclude list, trying each of `names`. A pattern that gives up on a subject
// (the engine's complexity bound) drops the series: nothing the user meant
// to exclude is sent because a pattern could not be evaluated. `culprit` is
// that pattern when the verdict is costly.
Verdict filter(const std::vector<Pattern>& allow, const std::vector<Pattern>& exclude, const Subjects& names,
               const Pattern*& culprit);

// The filters' state between runs: the deployments judged, and this run's
// time budget. The options are passed in, not held, so the mapper that owns
// both stays movable.
class Filters {
public:
    // Starts a run: a fresh budget, and the patterns' per-run bounds reset.
    void new_run(const MappingOptions& options, std::uint64_t run);

    // The verdict on a series name (metrics, exclude_metrics).
    Verdict judge_name(const MappingOptions& options, std::string_view name, const Pattern*& culprit);
    // The verdict on a deployment_id (deployments), kept between runs
    // unless it was costly.
    Verdict judge_deployment(const MappingOptions& options, std::string_view id, const Pattern*& culprit);

    bool over_budget() const { return over_budget_; }
    void prune();
    std::size_t deployment_entries() const { return deployments_.size(); }
    std::size_t bytes() const;

private:
    struct DeploymentInfo {
        Verdict verdict = Verdict::keep;
        const Pattern* culprit = nullptr;
        std::uint64_t last_run = 0;
    };

    Verdict judge(const std::vector<Pattern>& allow, const std::vector<Pattern>& exclude, const Subjects& names,
                  const Pattern*& culprit);

    std::unordered_map<std::string, DeploymentInfo> deployments_;
    std::uint64_t run_ = 0;
    std::chrono::steady_clock::duration spent_{};
    bool over_budget_ = false;
};

} // namespace fwm::mapping
