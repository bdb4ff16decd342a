#include "mapping/mapper.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <unordered_set>

#include "mapping/identity.hpp"
#include "mapping/quantile.hpp"
#include "parser/lex.hpp"

namespace fwm::mapping {

using parser::ParseResult;
using parser::Sample;

namespace {

// Adds the joined tags of the group's deployment (join_tags' rule).
void join(std::vector<std::string_view>& tags, const JoinedTags& joined)
{
    constexpr std::string_view kKey = "deployment_id:";
    const auto id = std::find_if(tags.begin(), tags.end(), [&](std::string_view t) { return t.substr(0, kKey.size()) == kKey; });
    if (id == tags.end())
        return;
    const auto found = joined.find(std::string(id->substr(kKey.size())));
    if (found != joined.end())
        join_tags(tags, tags.size(), found->second);
}

} // namespace

// One Datadog name within a group: the series merged into it.
struct Mapper::Entry {
    const NameInfo* info = nullptr; // the first series: its kind and merge rule decide
    double value = 0;               // sum, max or min
    std::uint32_t series = 0;       // samples merged (gauges and rates)
    bool malformed = false;         // histograms: a bucket without a usable le or count
    bool nan_bound = false;         // histograms: a bucket with le="NaN"
    // Histograms: the series (all its labels but le) of the last bucket
    // and its bound, to find an le repeated or out of order in a series.
    std::uint64_t source = 0;
    double last_upper = 0;
    std::vector<Bucket> buckets; // histograms, as they came

    void add_value(MapStats& stats, const Sample& s);
    void add_bucket(const NameInfo& from, const std::string_view* le, std::uint64_t from_source, double value);
};

// The entries of one identity (its tags are the grouper's).
struct Mapper::Group {
    std::uint32_t last_entry = 0; // consecutive samples usually share an entry
    std::vector<Entry> entries;

    Entry& entry_for(const NameInfo& info);
};

struct Mapper::Run {
    const ParseResult* r = nullptr; // the chunk being added
    RunClock clock;
    MapStats stats;
    Grouper grouper;
    std::vector<Group> groups; // by the grouper's numbers
    const NameInfo* info = nullptr; // the last sample's name, usually the next one's
    std::string_view last_name;
    std::unordered_set<std::string_view> deployments;
    // One group's output, reused.
    std::vector<std::pair<const std::string*, double>> gauges, counts;
    std::vector<CountedBucket> buckets;
    std::vector<double> quantile_values;
    std::vector<Bucket> scratch;
    std::vector<std::string_view> tags;

    explicit Run(RunClock at)
        : clock(at)
    {
    }
};

Mapper::Mapper(MappingOptions options)
    : options_(std::move(options))
    , instance_tags_(options_.tags)
{
    instance_tags_.insert(instance_tags_.end(), options_.agent_tags.begin(), options_.agent_tags.end());
    std::sort(instance_tags_.begin(), instance_tags_.end());
}

Mapper::~Mapper() = default;
Mapper::Mapper(Mapper&&) noexcept = default;

std::size_t Mapper::state_bytes() const
{
    return carry_.bytes() + names_.bytes() + filters_.bytes();
}

// ---- the pipeline ---------------------------------------------------------

void Mapper::begin(double now)
{
    ++run_;
    filters_.new_run(options_, run_);
    current_ = std::make_unique<Run>(RunClock{now, std::min(kWindow, options_.min_collection_interval)});
}

void Mapper::add(const ParseResult& r)
{
    Run& run = *current_;
    run.r = &r;
    run.grouper.reserve(r.samples.size());
    for (std::uint32_t index = 0; index < r.samples.size(); ++index) {
        const Sample& s = r.samples[index];
        ++run.stats.series;
        if (run.info == nullptr || s.name != run.last_name) {
            run.info = &names_.info(r, s, run_, options_, filters_);
            run.last_name = s.name;
        }
        if (!select(run, s, *run.info))
            continue;
        const bool histogram = run.info->kind == Kind::histogram;
        const std::uint32_t g = run.grouper.group(r, index, histogram, options_, instance_tags_);
        if (g == run.groups.size())
            run.groups.emplace_back();
        merge(run, run.groups[g], *run.info, s);
    }
    run.r = nullptr;
}

void Mapper::abandon()
{
    current_.reset();
}

MapStats Mapper::finish(Sink& sink)
{
    Run& run = *current_;
    run.stats.deployments = run.deployments.size();
    for (std::uint32_t g = 0; g < run.groups.size(); ++g) {
        finish_group(run, g);
        emit(run, g, sink);
    }
    upkeep(run.clock.now);
    run.stats.filter_over_budget = filters_.over_budget();
    run.stats.renamed += names_.renamed(run_);
    const MapStats stats = run.stats;
    current_.reset();
    return stats;
}

MapStats Mapper::map(const ParseResult& r, double now, Sink& sink)
{
    begin(now);
    add(r);
    return finish(sink);
}

// ---- step 1, select ---------------------------------------------------------

// Whether a sample is submitted at all: not a _created sample, and its name
// and deployment pass the filters.
bool Mapper::select(Run& run, const Sample& s, const NameInfo& n)
{
    if (n.created) {
        ++run.stats.created;
        return false;
    }
    const Pattern* culprit = n.culprit;
    Verdict verdict = n.verdict;
    const std::string_view* deployment = run.r->find_label(s, "deployment_id");
    if (verdict == Verdict::keep && deployment)
        verdict = filters_.judge_deployment(options_, *deployment, culprit);
    if (verdict != Verdict::keep) {
        ++run.stats.filtered;
        run.stats.over_name_cap += n.over_cap;
        if (verdict == Verdict::costly) {
            ++run.stats.filter_gave_up;
            if (culprit)
                run.stats.costly_pattern = culprit;
        }
        return false;
    }
    if (deployment && !deployment->empty())
        run.deployments.insert(*deployment);
    return true;
}

// ---- step 3, merge ----------------------------------------------------------

// The sample joins its group's entry for its Datadog name.
void Mapper::merge(Run& run, Group& g, const NameInfo& info, const Sample& s)
{
    Entry& e = g.entry_for(info);
    if (e.info->kind == Kind::histogram)
        e.add_bucket(info, run.r->find_label(s, "le"), run.grouper.source(), s.value);
    else
        e.add_value(run.stats, s);
}

inline Mapper::Entry& Mapper::Group::entry_for(const NameInfo& info)
{
    if (last_entry < entries.size() && entries[last_entry].info->datadog == info.datadog)
        return entries[last_entry];
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (entries[i].info->datadog == info.datadog) {
            last_entry = static_cast<std::uint32_t>(i);
            return entries[i];
        }
    last_entry = static_cast<std::uint32_t>(entries.size());
    Entry& e = entries.emplace_back();
    e.info = &info;
    return e;
}

// A gauge or rate: the entry's merge rule combines the parts.
inline void Mapper::Entry::add_value(MapStats& stats, const Sample& s)
{
    if (series == 0 || std::isnan(s.value))
        value = s.value; // the first part; a NaN part makes the whole NaN: not sent
    else if (std::isnan(value))
        ; // stays NaN
    else if (info->merge == Merge::max)
        value = std::max(value, s.value);
    else if (info->merge == Merge::min)
        value = std::min(value, s.value);
    else
        value += s.value; // sum, or the numerator of the mean
    stats.merged += series > 0;
    ++series;
}

// A histogram bucket of series `from_source`, kept as it came: merging
// equal bounds waits for coalesce().
inline void Mapper::Entry::add_bucket(const NameInfo& from, const std::string_view* le, std::uint64_t from_source,
                               double count)
{
    double upper = 0;
    if (from.kind != Kind::histogram || !le || !parser::lex::parse_go_float(*le, upper)) {
        malformed = true; // no bound: nothing usable
        return;
    }
    // Within one series the bounds must increase; a repeated or
    // decreasing le is used (Prometheus sums equal bounds) but counted.
    if (!buckets.empty() && source == from_source && !(upper > last_upper))
        malformed = true;
    source = from_source;
    last_upper = upper;
    if (std::isnan(upper)) // Prometheus sorts it somewhere and answers NaN; no distribution bucket
        malformed = nan_bound = true;
    if (!std::isfinite(count) || (upper == -std::numeric_limits<double>::infinity() && count != 0))
        malformed = true; // kept: Prometheus computes with it, the distribution does not
    buckets.push_back(Bucket{upper, count});
}

// ---- steps 4 and 5, carry and quantiles -------------------------------------

// One group's points into run.gauges, counts and buckets.
void Mapper::finish_group(Run& run, std::uint32_t g)
{
    run.gauges.clear();
    run.counts.clear();
    run.buckets.clear();
    const CarryOwner group{{}, run.grouper.text(g), run.grouper.hash(g)};
    for (Entry& e : run.groups[g].entries) {
        if (e.info->kind == Kind::histogram)
            finish_histogram(run, e, group);
        else
            finish_value(run, e, group);
    }
}

// A gauge or rate: its merged value; a rate's count too, with rates_as_counts.
void Mapper::finish_value(Run& run, const Entry& e, const CarryOwner& group)
{
    const NameInfo& n = *e.info;
    const double value = n.merge == Merge::mean ? e.value / e.series : e.value;
    if (!std::isfinite(value)) {
        ++run.stats.non_finite;
        return;
    }
    run.gauges.emplace_back(n.datadog, value);
    if (n.kind != Kind::rate || !options_.rates_as_counts)
        return;
    CarryOwner owner = group;
    owner.name = *n.count_name;
    double whole = 0;
    if (carry_rate(carry_.of(owner), value, run.clock, whole))
        run.counts.emplace_back(n.count_name, whole);
    else
        ++run.stats.non_finite;
}

// A histogram: its buckets coalesced, counted since the last run, and its
// quantiles.
void Mapper::finish_histogram(Run& run, Entry& e, const CarryOwner& group)
{
    coalesce(e.buckets);
    const std::vector<Bucket>* sorted = &e.buckets;
    if (e.nan_bound) { // where Prometheus sorted a NaN bound is no place for a distribution
        run.scratch.clear();
        for (const Bucket& x : e.buckets)
            if (!std::isnan(x.upper))
                run.scratch.push_back(x);
        coalesce(run.scratch);
        sorted = &run.scratch;
    }
    if (sorted->empty() || sorted->back().upper != std::numeric_limits<double>::infinity())
        e.malformed = true;
    if (e.malformed)
        ++run.stats.malformed_histograms;
    CarryOwner owner = group;
    owner.name = *e.info->datadog;
    run.stats.non_finite +=
        carry_buckets(carry_.of(owner), *sorted, run.clock, options_.distributions, e.info->datadog, run.buckets);
    quantiles(run, e);
}

// histogram_quantile on the merged buckets, as Prometheus computes it;
// where it gives NaN nothing is sent.
void Mapper::quantiles(Run& run, Entry& e)
{
    const auto& qs = options_.quantiles;
    if (qs.empty())
        return;
    run.quantile_values.resize(qs.size());
    histogram_quantiles(qs.data(), qs.size(), e.buckets, run.quantile_values.data());
    for (std::size_t i = 0; i < qs.size(); ++i)
        if (std::isfinite(run.quantile_values[i]))
            run.gauges.emplace_back(e.info->quantile_names[i], run.quantile_values[i]);
}

// ---- step 6, emit -----------------------------------------------------------

// The group's tags (its identity's, then the instance's, then the joined
// ones), then its gauges, counts and buckets.
void Mapper::emit(Run& run, std::uint32_t g, Sink& sink)
{
    if (run.gauges.empty() && run.counts.empty() && run.buckets.empty())
        return;
    run.tags.clear();
    run.grouper.append_tags(g, run.tags);
    for (const auto& t : options_.tags)
        run.tags.emplace_back(t);
    if (joined_)
        join(run.tags, *joined_);

    sink.group(run.tags);
    for (const auto& [name, value] : run.gauges)
        sink.gauge(*name, value);
    for (const auto& [name, value] : run.counts)
        sink.count(*name, value);
    for (const auto& x : run.buckets)
        sink.bucket(*x.name, x.count, x.lower, x.upper);
    ++run.stats.groups;
    run.stats.points += run.gauges.size() + run.counts.size() + run.buckets.size();
}

// ---- the state between runs -------------------------------------------------

void Mapper::upkeep(double now)
{
    if (now - last_eviction_ >= kWindow) {
        carry_.evict(now, options_.min_collection_interval);
        last_eviction_ = now;
    }
    names_.prune(run_);
    filters_.prune();
    carry_.prune(now);
}

} // namespace fwm::mapping
