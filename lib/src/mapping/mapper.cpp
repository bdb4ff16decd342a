#include "mapping/mapper.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "mapping/json_groups.hpp"
#include "mapping/naming.hpp"
#include "mapping/quantile.hpp"
#include "parser/lex.hpp"
#include "util/stream_hash.hpp"

namespace fwm::mapping {

using parser::Label;
using parser::MetricType;
using parser::ParseResult;
using parser::Sample;

namespace {

constexpr double kWindow = 60; // Fireworks' recording rules cover one minute
constexpr double kForgetAfter = 600;
constexpr std::size_t kPruneSlack = 1024; // entries kept beyond twice the live ones
// A bucket count must fit the Agent's C long long (rtloader's
// submit_histogram_bucket); 2^53 is also the last integer a double holds
// exactly. A larger one is not a count of requests: it is not submitted.
constexpr double kMaxBucketCount = 9007199254740992.0;

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A series name, without its aggregation suffix, and without _bucket: the
// forms a filter may name.
Subjects filter_subjects(std::string_view name)
{
    const std::string_view base = without_aggregation(name);
    const std::string_view unbucketed = ends_with(base, "_bucket") ? base.substr(0, base.size() - 7) : base;
    return {name, base, unbucketed};
}

// Whether a series passes the allow list (empty: everything) and the
// exclude list, trying each of `names`. A pattern that gives up on a subject
// (the engine's complexity bound) drops the series: nothing the user meant
// to exclude is sent because a pattern could not be evaluated.
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

// Whether two label lists are the same, pair by pair, leaving out `le`
// when it is not part of the identity: the cheap test that a sample
// belongs to the previous sample's group (a histogram's bucket lines).
bool same_labels(const std::vector<Label>& a, const Label* b, std::uint32_t b_count, bool skip_le)
{
    std::size_t i = 0;
    for (std::uint32_t j = 0; j < b_count; ++j) {
        if (skip_le && b[j].name == "le")
            continue;
        while (i < a.size() && skip_le && a[i].name == "le")
            ++i;
        if (i == a.size() || a[i].name != b[j].name || a[i].value != b[j].value)
            return false;
        ++i;
    }
    while (i < a.size() && skip_le && a[i].name == "le")
        ++i;
    return i == a.size();
}

// Families whose "<family>_created" samples (OpenMetrics, or the gauges a
// Prometheus client writes beside its counters) are creation times, not
// measurements.
bool has_created_samples(MetricType t)
{
    return t == MetricType::counter || t == MetricType::histogram || t == MetricType::summary ||
           t == MetricType::gaugehistogram;
}

} // namespace

struct Mapper::NameInfo {
    Verdict verdict = Verdict::keep;
    bool over_cap = false;            // the stand-in for names past kMaxNames
    bool created = false;             // a _created sample: never submitted
    bool renamed = false;             // its derived name was taken: fireworks.series.*
    const Pattern* culprit = nullptr; // the pattern that gave up, when costly
    std::uint64_t last_run = 0;       // for pruning names that stopped coming
    Kind kind = Kind::gauge;
    Merge merge = Merge::mean;
    // Keys of claims_: one address per Datadog name, whichever series uses it.
    const std::string* datadog = nullptr;    // gauge, rate or distribution name
    const std::string* count_name = nullptr; // rates: the .count companion
    std::vector<const std::string*> quantile_names; // histograms
};

// State carried between runs for one histogram group or rate series.
struct Mapper::Carry {
    double last_submitted = 0;
    double last_seen = 0;
    std::vector<std::pair<double, double>> remainders; // (bucket upper bound, fraction); rates use one
};

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
};

// One identity (the set of tags, see group_of) and its entries.
struct Mapper::Group {
    std::uint32_t ids_begin = 0; // the identity's tags, sorted, in Run::id_spans
    std::uint32_t ids_count = 0;
    std::uint64_t key = 0;
    std::uint32_t last_entry = 0; // consecutive samples usually share an entry
    std::vector<Entry> entries;
};

struct Mapper::Run {
    const ParseResult* r = nullptr; // the chunk being added
    double now;
    double first_interval;
    MapStats stats;
    std::vector<Group> groups;
    std::unordered_map<std::uint64_t, std::uint32_t> by_key;
    std::string id_text;                                      // every group's tags, back to back
    std::vector<std::pair<std::uint32_t, std::uint32_t>> id_spans; // (offset, size) in id_text
    std::string sample_text;                 // the current sample's tags
    std::vector<std::string_view> identity; // ... sorted and unique
    std::vector<Label> last_labels;          // the labels of the last sample grouped
    bool last_histogram = false;
    std::uint64_t last_label_source = 0;
    std::string_view last_source_name;
    std::uint64_t last_source = 0;
    std::uint32_t last_group = UINT32_MAX;
    const NameInfo* info = nullptr; // the last sample's name, usually the next one's
    std::string_view last_name;
    std::unordered_set<std::string_view> deployments;
    std::unordered_set<std::string_view> created_stems;
    // One group's output, reused.
    struct BucketOut {
        const std::string* name;
        double count, lower, upper;
    };
    std::vector<std::pair<const std::string*, double>> gauges, counts;
    std::vector<BucketOut> buckets;
    std::vector<double> quantile_values;
    std::vector<Bucket> scratch;
    std::vector<std::string_view> tags;
    std::vector<std::pair<std::size_t, std::size_t>> tag_spans;

    Run(double at, double first)
        : now(at), first_interval(first)
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

std::size_t Mapper::state_entries() const
{
    return carry_.size();
}

std::size_t Mapper::state_bytes() const
{
    std::size_t bytes = carry_.bucket_count() * sizeof(void*);
    for (const auto& [k, c] : carry_)
        bytes += sizeof(k) + sizeof(c) + 2 * sizeof(void*) + c.remainders.capacity() * sizeof(c.remainders[0]);
    for (const auto& [k, n] : names_)
        bytes += k.capacity() + sizeof(NameInfo) + n->quantile_names.capacity() * sizeof(void*);
    for (const auto& [k, c] : claims_)
        bytes += k.capacity() + sizeof(c) + 2 * sizeof(void*);
    for (const auto& [k, d] : deployments_)
        bytes += k.capacity() + 48;
    return bytes;
}

// ---- names --------------------------------------------------------------

bool Mapper::claimable(const std::string& name, const void* owner) const
{
    const auto it = claims_.find(name);
    return it == claims_.end() || it->second.owner == owner;
}

const std::string* Mapper::claim(const std::string& name, const void* owner)
{
    auto [it, inserted] = claims_.try_emplace(name);
    if (inserted)
        it->second.owner = owner;
    ++it->second.users;
    return &it->first;
}

void Mapper::release(const NameInfo& info)
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

// Gives a series its Datadog names. Known series share theirs (the table
// row owns them); an unknown one owns its derived names unless they are
// reserved or owned by another, and then falls back to fireworks.series.*.
void Mapper::name_series(NameInfo& info, std::string_view full_name, const KnownSeries* known)
{
    auto names_for = [&](const std::string& base, std::vector<std::string>& out) {
        out.clear();
        if (info.kind == Kind::rate) {
            const bool dotted = ends_with(base, ".rate");
            out.push_back(dotted ? base : base + ".rate");
            out.push_back((dotted ? base.substr(0, base.size() - 5) : base) + ".count");
        } else {
            out.push_back(base);
        }
        if (info.kind == Kind::histogram)
            for (double q : options_.quantiles)
                out.push_back(base + "." + quantile_suffix(q));
    };
    std::vector<std::string> names;
    const void* owner = known;
    if (known) {
        names_for(std::string(known->datadog), names);
    } else {
        owner = &info;
        const std::string derived = derived_base(without_aggregation(full_name), info.kind);
        for (unsigned attempt = 0;; ++attempt) {
            names_for(attempt == 0 ? derived : fallback_base(full_name, attempt - 1), names);
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

const Mapper::NameInfo& Mapper::name_info(const ParseResult& r, const Sample& s)
{
    const MetricType type = s.family == parser::kNoFamily ? MetricType::untyped : r.families[s.family].type;
    std::string key(s.name);
    key += static_cast<char>('a' + static_cast<int>(type));
    auto it = names_.find(key);
    if (it != names_.end()) {
        NameInfo& cached = *it->second;
        cached.last_run = run_;
        if (cached.verdict == Verdict::costly) { // judged again each run, never for good
            cached.verdict = judge(options_.metrics, options_.exclude_metrics, filter_subjects(s.name),
                                   cached.culprit);
            if (cached.verdict == Verdict::keep && !cached.datadog)
                name_series(cached, s.name, find_known(without_aggregation(s.name)));
        }
        return cached;
    }

    if (names_.size() >= kMaxNames) {
        if (!over_cap_) {
            over_cap_ = std::make_unique<NameInfo>();
            over_cap_->verdict = Verdict::drop;
            over_cap_->over_cap = true;
        }
        return *over_cap_;
    }
    auto info = std::make_unique<NameInfo>();
    info->last_run = run_;
    const std::string_view name = s.name;
    const std::string_view base = without_aggregation(name);

    if (ends_with(name, "_created")) {
        const std::string_view stem = name.substr(0, name.size() - 8);
        const bool own_family = s.family != parser::kNoFamily && has_created_samples(type) &&
                                r.families[s.family].name == stem;
        // Only a TYPE line above the sample counts: the same answer whether
        // the payload is mapped whole or a chunk at a time.
        bool stem_family = false;
        for (const auto& f : r.families)
            stem_family = stem_family || (f.name == stem && has_created_samples(f.type) && f.type_line != 0 &&
                                          f.type_line < s.line);
        if (own_family || stem_family) {
            info->created = true;
            info->verdict = Verdict::drop;
            return *names_.emplace(std::move(key), std::move(info)).first->second;
        }
    }

    const bool bucket = ends_with(base, "_bucket");
    const bool total = ends_with(base, "_total");
    const KnownSeries* known = find_known(base);
    if (known) {
        info->kind = known->kind;
    } else {
        // Unknown series: the TYPE line decides when there is one, the name otherwise.
        switch (type) {
        case MetricType::counter: info->kind = Kind::rate; break;
        case MetricType::histogram:
        case MetricType::gaugehistogram: info->kind = bucket ? Kind::histogram : Kind::gauge; break;
        case MetricType::untyped: info->kind = bucket ? Kind::histogram : total ? Kind::rate : Kind::gauge; break;
        default: info->kind = Kind::gauge; break;
        }
    }
    info->merge = merge_rule(name, info->kind);
    info->verdict = judge(options_.metrics, options_.exclude_metrics, filter_subjects(name), info->culprit);
    if (info->verdict == Verdict::keep) // a series filtered out takes no name from one sent
        name_series(*info, name, known);
    return *names_.emplace(std::move(key), std::move(info)).first->second;
}

// ---- filters --------------------------------------------------------------

Verdict Mapper::deployment_verdict(std::string_view id, const Pattern*& culprit)
{
    if (options_.deployments_include.empty() && options_.deployments_exclude.empty())
        return Verdict::keep;
    auto [it, inserted] = deployments_.try_emplace(std::string(id));
    DeploymentInfo& d = it->second;
    if (inserted || d.verdict == Verdict::costly)
        d.verdict = judge(options_.deployments_include, options_.deployments_exclude, {id, id, id}, d.culprit);
    d.last_run = run_;
    culprit = d.culprit;
    return d.verdict;
}

// The filters of one run share a time budget: past it, what is left to
// judge waits for the next runs (the verdicts already made are kept), so a
// costly pattern on many new names cannot hold one run for long.
Verdict Mapper::judge(const std::vector<Pattern>& allow, const std::vector<Pattern>& exclude, const Subjects& names,
                      const Pattern*& culprit)
{
    culprit = nullptr;
    if (allow.empty() && exclude.empty())
        return Verdict::keep;
    if (filter_spent_ >= kFilterBudget) {
        filter_over_budget_ = true;
        return Verdict::costly;
    }
    const auto started = std::chrono::steady_clock::now();
    const Verdict v = filter(allow, exclude, names, culprit);
    filter_spent_ += std::chrono::steady_clock::now() - started;
    return v;
}

// ---- the steps of one run -------------------------------------------------

// Step 1, select: whether a sample is submitted at all (filters, _created).
bool Mapper::select(Run& run, const Sample& s, const NameInfo*& info, const std::string_view*& deployment)
{
    const NameInfo& n = *info;
    if (n.created) {
        ++run.stats.created;
        return false;
    }
    const Pattern* culprit = n.culprit;
    Verdict verdict = n.verdict;
    deployment = run.r->find_label(s, "deployment_id");
    if (verdict == Verdict::keep && deployment)
        verdict = deployment_verdict(*deployment, culprit);
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

// Step 2, group: a sample's identity is the set of tags Datadog sees for
// it (the Agent sorts a point's tags and drops repeats to find its series):
// its labels as name:value, without the excluded ones, the empty values
// and, for histogram buckets, le; the model tag derived from base_model;
// and none that an instance tag already gives. Samples with equal sets
// share a group, whatever the order or form their labels came in.
Mapper::Group& Mapper::group_of(Run& run, std::uint32_t index, bool histogram)
{
    const Sample& s = run.r->samples[index];
    const Label* labels = run.r->labels_of(s);
    // A histogram bucket's series, for the checks of its le: its name, and
    // its labels order-free (a sum of one hash per label).
    auto source_of = [&run](std::string_view name) {
        if (name != run.last_source_name) {
            util::StreamHash h;
            h.add(name);
            run.last_source = h.finish() + run.last_label_source;
            run.last_source_name = name;
        }
    };
    if (run.last_group != UINT32_MAX && run.last_histogram == histogram &&
        same_labels(run.last_labels, labels, s.labels_count, histogram)) {
        if (histogram)
            source_of(s.name);
        return run.groups[run.last_group];
    }
    run.last_labels.assign(labels, labels + s.labels_count);
    run.last_histogram = histogram;

    std::string& text = run.sample_text;
    text.clear();
    std::vector<std::pair<std::size_t, std::size_t>>& spans = run.tag_spans;
    spans.clear();
    auto add = [&](std::string_view a, std::string_view b) {
        const std::size_t at = text.size();
        text.append(a).append(":").append(b);
        spans.emplace_back(at, text.size() - at);
    };
    std::uint64_t label_source = 0;
    for (std::uint32_t i = 0; i < s.labels_count; ++i) {
        const Label& l = labels[i];
        if (l.value.empty() || (histogram && l.name == "le"))
            continue;
        if (histogram) {
            util::StreamHash h;
            h.add(l.name);
            h.add(l.value);
            label_source += h.finish();
        }
        if (std::find(options_.exclude_labels.begin(), options_.exclude_labels.end(), l.name) !=
            options_.exclude_labels.end())
            continue;
        add(l.name, l.value);
        if (l.name == "base_model") {
            const auto slash = l.value.rfind('/');
            const std::string_view model = slash == std::string_view::npos ? l.value : l.value.substr(slash + 1);
            if (!model.empty())
                add("model", model);
        }
    }
    if (histogram) {
        run.last_label_source = label_source;
        run.last_source_name = {};
        source_of(s.name);
    }
    auto& identity = run.identity;
    identity.clear();
    for (const auto& [at, size] : spans) {
        const std::string_view tag(text.data() + at, size);
        if (!std::binary_search(instance_tags_.begin(), instance_tags_.end(), tag,
                                [](std::string_view a, std::string_view b) { return a < b; }))
            identity.push_back(tag);
    }
    std::sort(identity.begin(), identity.end());
    identity.erase(std::unique(identity.begin(), identity.end()), identity.end());

    auto same_identity = [&run, &identity](const Group& g) {
        if (g.ids_count != identity.size())
            return false;
        for (std::uint32_t i = 0; i < g.ids_count; ++i) {
            const auto& [at, size] = run.id_spans[g.ids_begin + i];
            if (std::string_view(run.id_text.data() + at, size) != identity[i])
                return false;
        }
        return true;
    };
    if (run.last_group != UINT32_MAX && same_identity(run.groups[run.last_group]))
        return run.groups[run.last_group];
    util::StreamHash h;
    for (const std::string_view tag : identity)
        h.add(tag);
    std::uint64_t key = h.finish();
    for (;;) { // open addressing over the 64-bit keys: a collision takes the next key
        auto [it, inserted] = run.by_key.try_emplace(key, static_cast<std::uint32_t>(run.groups.size()));
        if (inserted)
            break;
        if (same_identity(run.groups[it->second])) {
            run.last_group = it->second;
            return run.groups[it->second];
        }
        key += 0x9e3779b97f4a7c15ULL;
    }
    run.last_group = static_cast<std::uint32_t>(run.groups.size());
    Group& g = run.groups.emplace_back();
    g.key = key;
    g.ids_begin = static_cast<std::uint32_t>(run.id_spans.size());
    g.ids_count = static_cast<std::uint32_t>(identity.size());
    for (const std::string_view tag : identity) {
        run.id_spans.emplace_back(static_cast<std::uint32_t>(run.id_text.size()), static_cast<std::uint32_t>(tag.size()));
        run.id_text.append(tag);
    }
    return g;
}

// Step 3, merge: the sample joins its group's entry for its Datadog name.
void Mapper::merge(Run& run, Group& g, const NameInfo& info, const Sample& s)
{
    Entry* e = nullptr;
    if (g.last_entry < g.entries.size() && g.entries[g.last_entry].info->datadog == info.datadog) {
        e = &g.entries[g.last_entry];
    } else {
        for (std::size_t i = 0; i < g.entries.size(); ++i)
            if (g.entries[i].info->datadog == info.datadog) {
                e = &g.entries[i];
                g.last_entry = static_cast<std::uint32_t>(i);
                break;
            }
        if (!e) {
            g.last_entry = static_cast<std::uint32_t>(g.entries.size());
            e = &g.entries.emplace_back();
            e->info = &info;
        }
    }
    switch (e->info->kind) {
    case Kind::gauge:
    case Kind::rate:
        if (e->series == 0 || std::isnan(s.value))
            e->value = e->series == 0 ? s.value : s.value; // a NaN part makes the whole NaN: not sent
        else if (std::isnan(e->value))
            ; // stays NaN
        else if (e->info->merge == Merge::max)
            e->value = std::max(e->value, s.value);
        else if (e->info->merge == Merge::min)
            e->value = std::min(e->value, s.value);
        else
            e->value += s.value; // sum, or the numerator of the mean
        run.stats.merged += e->series > 0;
        ++e->series;
        break;
    case Kind::histogram: {
        const std::string_view* le = run.r->find_label(s, "le");
        double upper = 0;
        if (info.kind != Kind::histogram || !le || !parser::lex::parse_go_float(*le, upper)) {
            e->malformed = true; // no bound: nothing usable
            break;
        }
        // Within one series the bounds must increase; a repeated or
        // decreasing le is used (Prometheus sums equal bounds) but counted.
        if (!e->buckets.empty() && e->source == run.last_source && !(upper > e->last_upper))
            e->malformed = true;
        e->source = run.last_source;
        e->last_upper = upper;
        if (std::isnan(upper)) // Prometheus sorts it somewhere and answers NaN; no distribution bucket
            e->malformed = e->nan_bound = true;
        if (!std::isfinite(s.value) || (upper == -std::numeric_limits<double>::infinity() && s.value != 0))
            e->malformed = true; // kept: Prometheus computes with it, the distribution does not
        e->buckets.push_back(Bucket{upper, s.value});
        break;
    }
    }
}

// Step 4, de-cumulate and carry: a histogram's buckets become whole counts
// of observations since the group's last run; fractions wait for the next.
void Mapper::decumulate_and_carry(Run& run, const Group& g, Entry& e)
{
    const NameInfo& info = *e.info;
    const std::vector<Bucket>* sorted = &e.buckets; // coalesced: sorted by bound, equal bounds summed
    if (e.nan_bound) { // where Prometheus sorted a NaN bound is no place for a distribution
        run.scratch.clear();
        for (const Bucket& x : e.buckets)
            if (!std::isnan(x.upper))
                run.scratch.push_back(x);
        coalesce(run.scratch);
        sorted = &run.scratch;
    }
    const auto& b = *sorted;
    if (b.empty() || b.back().upper != std::numeric_limits<double>::infinity())
        e.malformed = true;
    if (e.malformed)
        ++run.stats.malformed_histograms;

    util::StreamHash h;
    h.add(*info.datadog);
    Carry& c = carry_[h.finish() ^ g.key];
    const double elapsed = c.last_submitted > 0 ? std::min(kWindow, run.now - c.last_submitted) : run.first_interval;
    c.last_submitted = c.last_seen = run.now;
    if (!options_.distributions)
        return;

    std::vector<std::pair<double, double>> next;
    next.reserve(b.size());
    // The first bucket starts at 0, or at its own bound when that is not
    // positive (never an inverted range).
    double previous = 0, lower = 0;
    bool first = true;
    double running = 0;
    std::size_t carry_at = 0; // both lists are sorted by bound: one pass finds each carry
    for (const Bucket& x : b) {
        // A missing, NaN or infinite count takes the bucket below: never negative, never infinite.
        const double cumulative = std::isfinite(x.cumulative) ? x.cumulative : running;
        running = std::max(running, cumulative);
        const double rate = std::max(0.0, cumulative - previous); // de-cumulate; a drop counts as 0
        previous = std::max(previous, cumulative);
        if (x.upper == -std::numeric_limits<double>::infinity())
            continue; // le="-Inf": no observation is below every number, and no range to put it in
        if (first)
            lower = std::min(0.0, x.upper);
        first = false;
        while (carry_at < c.remainders.size() && c.remainders[carry_at].first < x.upper)
            ++carry_at;
        const double carried = carry_at < c.remainders.size() && c.remainders[carry_at].first == x.upper
                                   ? c.remainders[carry_at].second
                                   : 0.0;
        const double total = rate * elapsed + carried;
        if (!(total < kMaxBucketCount)) { // infinite, or past what the Agent takes as a count
            ++run.stats.non_finite;
            lower = x.upper;
            continue;
        }
        const double whole = std::floor(total);
        next.emplace_back(x.upper, total - whole);
        if (whole >= 1)
            run.buckets.push_back(Run::BucketOut{info.datadog, whole, lower, x.upper});
        lower = x.upper;
    }
    c.remainders = std::move(next);
}

// Step 5, quantiles: histogram_quantile on the merged buckets, as
// Prometheus computes it; where it gives NaN nothing is sent.
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

// Step 6, emit: the group's tags, then its gauges, counts and buckets.
namespace {

// Adds the joined tags of the group's deployment, except those whose name a
// tag of the group already has (its labels and the instance tags win).
void join(std::vector<std::string_view>& tags, const JoinedTags& joined)
{
    constexpr std::string_view kKey = "deployment_id:";
    const auto id = std::find_if(tags.begin(), tags.end(), [&](std::string_view t) { return t.substr(0, kKey.size()) == kKey; });
    if (id == tags.end())
        return;
    const auto found = joined.find(std::string(id->substr(kKey.size())));
    if (found == joined.end())
        return;
    const std::size_t own = tags.size();
    for (const std::string& t : found->second) {
        const std::string_view name = std::string_view(t).substr(0, t.find(':') + 1); // "name:"
        if (std::none_of(tags.begin(), tags.begin() + static_cast<std::ptrdiff_t>(own),
                         [&](std::string_view x) { return x.substr(0, name.size()) == name; }))
            tags.emplace_back(t);
    }
}

} // namespace

void Mapper::emit(Run& run, const Group& g, Sink& sink)
{
    if (run.gauges.empty() && run.counts.empty() && run.buckets.empty())
        return;
    run.tags.clear();
    for (std::uint32_t i = 0; i < g.ids_count; ++i) {
        const auto& [at, size] = run.id_spans[g.ids_begin + i];
        run.tags.emplace_back(run.id_text.data() + at, size);
    }
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

// ---- state upkeep -------------------------------------------------------

// Names, deployments and carries of series that stopped coming are dropped
// once they outnumber the live ones: churn cannot grow the state.
void Mapper::prune(double now)
{
    std::size_t live = 0;
    for (const auto& entry : names_)
        live += entry.second->last_run == run_;
    if (names_.size() > 2 * live + kPruneSlack)
        for (auto it = names_.begin(); it != names_.end();) {
            if (it->second->last_run == run_) {
                ++it;
                continue;
            }
            release(*it->second);
            it = names_.erase(it);
        }
    live = 0;
    for (const auto& entry : deployments_)
        live += entry.second.last_run == run_;
    if (deployments_.size() > 2 * live + kPruneSlack)
        for (auto it = deployments_.begin(); it != deployments_.end();)
            it = it->second.last_run == run_ ? std::next(it) : deployments_.erase(it);
    live = 0;
    for (const auto& entry : carry_)
        live += entry.second.last_seen == now;
    if (carry_.size() > 2 * live + kPruneSlack)
        for (auto it = carry_.begin(); it != carry_.end();)
            it = it->second.last_seen == now ? std::next(it) : carry_.erase(it);
}

void Mapper::evict(double now)
{
    const double horizon = std::max(kForgetAfter, 10 * options_.min_collection_interval);
    for (auto it = carry_.begin(); it != carry_.end();)
        it = now - it->second.last_seen > horizon ? carry_.erase(it) : std::next(it);
    last_eviction_ = now;
}

// ---- map ------------------------------------------------------------------

void Mapper::begin(double now)
{
    ++run_;
    filter_spent_ = {};
    filter_over_budget_ = false;
    for (const auto* list : {&options_.metrics, &options_.exclude_metrics, &options_.deployments_include,
                             &options_.deployments_exclude})
        for (const Pattern& p : *list)
            p.new_run();
    current_ = std::make_unique<Run>(now, std::min(kWindow, options_.min_collection_interval));
}

void Mapper::add(const ParseResult& r)
{
    Run& run = *current_;
    run.r = &r;
    if (run.by_key.empty())
        run.by_key.reserve(r.samples.size() / 8 + 16);
    for (std::uint32_t index = 0; index < r.samples.size(); ++index) {
        const Sample& s = r.samples[index];
        ++run.stats.series;
        if (run.info == nullptr || s.name != run.last_name) {
            run.info = &name_info(r, s);
            run.last_name = s.name;
        }
        const std::string_view* deployment = nullptr;
        if (!select(run, s, run.info, deployment))
            continue;
        merge(run, group_of(run, index, run.info->kind == Kind::histogram), *run.info, s);
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
    const double now = run.now;
    run.stats.deployments = run.deployments.size();
    for (Group& g : run.groups) {
        run.gauges.clear();
        run.counts.clear();
        run.buckets.clear();
        for (Entry& e : g.entries) {
            const NameInfo& n = *e.info;
            if (n.kind == Kind::histogram) {
                coalesce(e.buckets);
                decumulate_and_carry(run, g, e);
                quantiles(run, e);
                continue;
            }
            const double value = n.merge == Merge::mean ? e.value / e.series : e.value;
            if (!std::isfinite(value)) {
                ++run.stats.non_finite;
                continue;
            }
            run.gauges.emplace_back(n.datadog, value);
            if (n.kind == Kind::rate && options_.rates_as_counts) {
                // rate x seconds since this series was last submitted, in
                // whole units; the fraction waits for the next run.
                util::StreamHash h;
                h.add(*n.count_name);
                Carry& c = carry_[h.finish() ^ g.key];
                const double elapsed =
                    c.last_submitted > 0 ? std::min(kWindow, now - c.last_submitted) : run.first_interval;
                if (c.remainders.empty())
                    c.remainders.emplace_back(0.0, 0.0);
                const double total = std::max(0.0, value) * elapsed + c.remainders[0].second;
                c.last_submitted = c.last_seen = now;
                if (!std::isfinite(total)) { // a rate near the largest double overflows its count
                    ++run.stats.non_finite;
                    c.remainders[0].second = 0;
                    continue;
                }
                const double whole = std::floor(total);
                c.remainders[0].second = total - whole;
                run.counts.emplace_back(n.count_name, whole);
            }
        }
        emit(run, g, sink);
    }
    if (now - last_eviction_ >= kWindow)
        evict(now);
    prune(now);
    run.stats.filter_over_budget = filter_over_budget_;
    for (const auto& [key, n] : names_)
        run.stats.renamed += n->renamed && n->last_run == run_;
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

MapStats Mapper::map(const ParseResult& r, double now, std::string& out)
{
    JsonGroups sink(out);
    const MapStats stats = map(r, now, static_cast<Sink&>(sink));
    sink.finish();
    return stats;
}

} // namespace fwm::mapping
