#include "mapping/filters.hpp"

#include "mapping/naming.hpp"
#include "mapping/prune.hpp"

namespace fwm::mapping {

Subjects filter_subjects(std::string_view name)
{
    const std::string_view base = without_aggregation(name);
    const std::string_view unbucketed = base.ends_with("_bucket") ? base.substr(0, base.size() - 7) : base;
    return {name, base, unbucketed};
}

Verdict filter(const std::vector<Pattern>& allow, const std::vector<Pattern>& exclude, const Subjects& names,
               const Pattern*& culprit)
{
    const Pattern* costly = nullptr;
    auto any = [&](const std::vector<Pattern>& patterns) {
        for (const auto& p : patterns)
            for (std::size_t i = 0; i < names.size(); ++i) {
                if ((i > 0 && names[i] == names[i - 1]) || (i > 1 && names[i] == names[0]))
                    continue; // the same subject twice: one try
                const Pattern::Match m = p.full_match(names[i]);
                if (m == Pattern::Match::yes)
                    return true;
                if (m == Pattern::Match::too_costly && !costly)
                    costly = &p;
            }
        return false;
    };
    if (!allow.empty() && !any(allow)) {
        culprit = costly;
        return costly ? Verdict::costly : Verdict::drop;
    }
    costly = nullptr;
    if (any(exclude))
        return Verdict::drop;
    culprit = costly;
    return costly ? Verdict::costly : Verdict::keep;
}

void Filters::new_run(const MappingOptions& options, std::uint64_t run)
{
    run_ = run;
    spent_ = {};
    over_budget_ = false;
    for (const auto* list :
         {&options.metrics, &options.exclude_metrics, &options.deployments_include, &options.deployments_exclude})
        for (const Pattern& p : *list)
            p.new_run();
}

Verdict Filters::judge_name(const MappingOptions& options, std::string_view name, const Pattern*& culprit)
{
    return judge(options.metrics, options.exclude_metrics, filter_subjects(name), culprit);
}

Verdict Filters::judge_deployment(const MappingOptions& options, std::string_view id, const Pattern*& culprit)
{
    if (options.deployments_include.empty() && options.deployments_exclude.empty())
        return Verdict::keep;
    auto [it, inserted] = deployments_.try_emplace(std::string(id));
    DeploymentInfo& d = it->second;
    if (inserted || d.verdict == Verdict::costly)
        d.verdict = judge(options.deployments_include, options.deployments_exclude, {id, id, id}, d.culprit);
    d.last_run = run_;
    culprit = d.culprit;
    return d.verdict;
}

// The filters of one run share a time budget: past it, what is left to
// judge waits for the next runs (the verdicts already made are kept), so a
// costly pattern on many new names cannot hold one run for long.
Verdict Filters::judge(const std::vector<Pattern>& allow, const std::vector<Pattern>& exclude,
                       const Subjects& names, const Pattern*& culprit)
{
    culprit = nullptr;
    if (allow.empty() && exclude.empty())
        return Verdict::keep;
    if (spent_ >= kFilterBudget) {
        over_budget_ = true;
        return Verdict::costly;
    }
    const auto started = std::chrono::steady_clock::now();
    const Verdict v = filter(allow, exclude, names, culprit);
    spent_ += std::chrono::steady_clock::now() - started;
    return v;
}

void Filters::prune()
{
    prune_stale(deployments_, [this](const auto& entry) { return entry.second.last_run == run_; });
}

std::size_t Filters::bytes() const
{
    std::size_t bytes = 0;
    for (const auto& [k, d] : deployments_)
        bytes += k.capacity() + 48;
    return bytes;
}

} // namespace fwm::mapping
