#include "mapping/names.hpp"

#include <algorithm>

#include "mapping/prune.hpp"

namespace fwm::mapping {

using parser::MetricType;
using parser::ParseResult;
using parser::Sample;

namespace {

// Families whose "<family>_created" samples (OpenMetrics, or the gauges a
// Prometheus client writes beside its counters) are creation times, not
// measurements.
bool has_created_samples(MetricType t)
{
    return t == MetricType::counter || t == MetricType::histogram || t == MetricType::summary ||
           t == MetricType::gaugehistogram;
}

// Whether `s` is the creation time of its own family, or of a family whose
// TYPE line came above it. Only a TYPE line above the sample counts: the
// same answer whether the payload is mapped whole or a chunk at a time.
bool is_created_sample(const ParseResult& r, const Sample& s, MetricType type)
{
    if (!s.name.ends_with("_created"))
        return false;
    const std::string_view stem = s.name.substr(0, s.name.size() - 8);
    const bool own_family =
        s.family != parser::kNoFamily && has_created_samples(type) && r.families[s.family].name == stem;
    bool stem_family = false;
    for (const auto& f : r.families)
        stem_family = stem_family || (f.name == stem && has_created_samples(f.type) && f.type_line != 0 &&
                                      f.type_line < s.line);
    return own_family || stem_family;
}

// A series' kind: the table's when it knows the series; otherwise the TYPE
// line decides when there is one, the name otherwise.
Kind kind_of(std::string_view base, MetricType type, const KnownSeries* known)
{
    if (known)
        return known->kind;
    const bool bucket = base.ends_with("_bucket");
    const bool total = base.ends_with("_total");
    switch (type) {
    case MetricType::counter: return Kind::rate;
    case MetricType::histogram:
    case MetricType::gaugehistogram: return bucket ? Kind::histogram : Kind::gauge;
    case MetricType::untyped: return bucket ? Kind::histogram : total ? Kind::rate : Kind::gauge;
    default: return Kind::gauge;
    }
}

// The Datadog names of a series of `kind` on `base`: the gauge, rate or
// distribution; a rate's .count; a histogram's quantile gauges.
void datadog_names(const std::string& base, Kind kind, const std::vector<double>& quantiles,
                   std::vector<std::string>& out)
{
    out.clear();
    if (kind == Kind::rate) {
        const bool dotted = base.ends_with(".rate");
        out.push_back(dotted ? base : base + ".rate");
        out.push_back((dotted ? base.substr(0, base.size() - 5) : base) + ".count");
    } else {
        out.push_back(base);
    }
    if (kind == Kind::histogram)
        for (double q : quantiles)
            out.push_back(base + "." + quantile_suffix(q));
}

} // namespace

const NameInfo& NameTable::info(const ParseResult& r, const Sample& s, std::uint64_t run,
                                const MappingOptions& options, Filters& filters)
{
    const MetricType type = s.family == parser::kNoFamily ? MetricType::untyped : r.families[s.family].type;
    std::string key(s.name);
    key += static_cast<char>('a' + static_cast<int>(type));
    auto it = names_.find(key);
    if (it != names_.end()) {
        NameInfo& cached = *it->second;
        cached.last_run = run;
        if (cached.verdict == Verdict::costly) { // judged again each run, never for good
            cached.verdict = filters.judge_name(options, s.name, cached.culprit);
            if (cached.verdict == Verdict::keep && !cached.datadog)
                name_series(cached, s.name, find_known(without_aggregation(s.name)), options.quantiles);
        }
        return cached;
    }
    if (names_.size() >= kMaxNames)
        return over_cap();

    auto info = std::make_unique<NameInfo>();
    info->last_run = run;
    if (is_created_sample(r, s, type)) {
        info->created = true;
        info->verdict = Verdict::drop;
        return add(std::move(key), std::move(info));
    }
    const KnownSeries* known = find_known(without_aggregation(s.name));
    info->kind = kind_of(without_aggregation(s.name), type, known);
    info->merge = merge_rule(s.name, info->kind);
    info->verdict = filters.judge_name(options, s.name, info->culprit);
    if (info->verdict == Verdict::keep) // a series filtered out takes no name from one sent
        name_series(*info, s.name, known, options.quantiles);
    return add(std::move(key), std::move(info));
}

const NameInfo& NameTable::over_cap()
{
    if (!over_cap_) {
        over_cap_ = std::make_unique<NameInfo>();
        over_cap_->verdict = Verdict::drop;
        over_cap_->over_cap = true;
    }
    return *over_cap_;
}

const NameInfo& NameTable::add(std::string key, std::unique_ptr<NameInfo> info)
{
    return *names_.emplace(std::move(key), std::move(info)).first->second;
}

// Gives a series its Datadog names. Known series share theirs (the table
// row owns them); an unknown one owns its derived names unless they are
// reserved or owned by another, and then falls back to fireworks.series.*.
void NameTable::name_series(NameInfo& info, std::string_view full_name, const KnownSeries* known,
                            const std::vector<double>& quantiles)
{
    std::vector<std::string> names;
    const void* owner = known;
    if (known) {
        datadog_names(std::string(known->datadog), info.kind, quantiles, names);
    } else {
        owner = &info;
        const std::string derived = derived_base(without_aggregation(full_name), info.kind);
        for (unsigned attempt = 0;; ++attempt) {
            datadog_names(attempt == 0 ? derived : fallback_base(full_name, attempt - 1), info.kind, quantiles, names);
            const bool free = std::all_of(names.begin(), names.end(), [&](const std::string& n) {
                return (attempt > 0 || !reserved_name(n)) && claimable(n, owner);
            });
            if (free)
                break;
            info.renamed = true;
        }
    }
    std::size_t i = 0;
    info.datadog = claim(names[i++], owner);
    if (info.kind == Kind::rate)
        info.count_name = claim(names[i++], owner);
    for (; i < names.size(); ++i)
        info.quantile_names.push_back(claim(names[i], owner));
}

bool NameTable::claimable(const std::string& name, const void* owner) const
{
    const auto it = claims_.find(name);
    return it == claims_.end() || it->second.owner == owner;
}

const std::string* NameTable::claim(const std::string& name, const void* owner)
{
    auto [it, inserted] = claims_.try_emplace(name);
    if (inserted)
        it->second.owner = owner;
    ++it->second.users;
    return &it->first;
}

void NameTable::release(const NameInfo& info)
{
    auto drop = [this](const std::string* name) {
        if (!name)
            return;
        auto it = claims_.find(*name);
        if (it != claims_.end() && --it->second.users == 0)
            claims_.erase(it);
    };
    drop(info.datadog);
    drop(info.count_name);
    for (const std::string* q : info.quantile_names)
        drop(q);
}

void NameTable::prune(std::uint64_t run)
{
    prune_stale(
        names_, [run](const auto& entry) { return entry.second->last_run == run; },
        [this](const auto& entry) { release(*entry.second); });
}

std::size_t NameTable::renamed(std::uint64_t run) const
{
    std::size_t n = 0;
    for (const auto& [key, info] : names_)
        n += info->renamed && info->last_run == run;
    return n;
}

std::size_t NameTable::bytes() const
{
    std::size_t bytes = 0;
    for (const auto& [k, n] : names_)
        bytes += k.capacity() + sizeof(NameInfo) + n->quantile_names.capacity() * sizeof(void*);
    for (const auto& [k, c] : claims_)
        bytes += k.capacity() + sizeof(c) + 2 * sizeof(void*);
    return bytes;
}

} // namespace fwm::mapping
