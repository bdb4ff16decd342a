#include "mapping/mapper.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <unordered_set>

#include <rapidjson/writer.h>

#include "mapping/quantile.hpp"
#include "parser/lex.hpp"
#include "util/json_sink.hpp"
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

using Writer = rapidjson::Writer<util::StringSink, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                                 rapidjson::kWriteNanAndInfFlag>;

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Datadog metric names: letters, digits, '_' and '.'; the rest becomes '_'.
std::string sanitize(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            c = '_';
    return out;
}

// Whether a series passes the allow list (empty: everything) and the
// exclude list, trying each of `names`. A pattern that gives up on a subject
// (the engine's complexity bound) drops the series: nothing the user meant
// to exclude is sent because a pattern could not be evaluated.
// A series name, without its aggregation suffix, and without _bucket: the
// forms a filter may name.
Subjects filter_subjects(std::string_view name)
{
    std::string_view base = name;
    if (const auto colon = name.rfind(':'); colon != std::string_view::npos &&
                                            name.substr(colon).find("_by_") != std::string_view::npos)
        base = name.substr(0, colon);
    const std::string_view unbucketed = ends_with(base, "_bucket") ? base.substr(0, base.size() - 7) : base;
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

void write_name(Writer& w, const std::string& s)
{
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Whole numbers (counts, most bucket bounds) as integers: far cheaper to
// print than the shortest round-trip form of a double, and read the same.
void write_number(Writer& w, double v)
{
    if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
        w.Int64(static_cast<std::int64_t>(v));
    else
        w.Double(v);
}

} // namespace

struct Mapper::NameInfo {
    Verdict verdict = Verdict::keep;
    bool over_cap = false;            // the stand-in for names past kMaxNames
    const Pattern* culprit = nullptr; // the pattern that gave up, when costly
    std::uint64_t last_run = 0;       // for pruning names that stopped coming
    Kind kind = Kind::gauge;
    std::string datadog;                     // gauge, rate or distribution name
    std::string count_name;                  // rates: the .count companion
    std::vector<std::string> quantile_names; // histograms
};

// State carried between runs for one histogram group or rate series.
struct Mapper::Carry {
    double last_submitted = 0;
    double last_seen = 0;
    std::vector<std::pair<double, double>> remainders; // (bucket upper bound, fraction); rates use one
};

namespace {

struct Hist {
    const void* name = nullptr; // NameInfo*
    std::vector<Bucket> buckets;
    bool malformed = false;
};

struct Group {
    std::uint32_t first_sample = 0;
    std::uint64_t key = 0;
    std::string tags; // a rendered JSON array
    std::vector<std::pair<const std::string*, double>> gauges;
    std::vector<std::pair<const std::string*, double>> rates; // for rates_as_counts
    std::vector<Hist> hists;
};

} // namespace

struct Mapper::Run {
    std::vector<Group> groups;
    std::unordered_map<std::uint64_t, std::uint32_t> by_key;
};

Mapper::Mapper(MappingOptions options)
    : options_(std::move(options))
{
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
        bytes += k.capacity() + sizeof(NameInfo) + n->datadog.capacity() + n->count_name.capacity() + 64 * n->quantile_names.size();
    for (const auto& [k, d] : deployments_)
        bytes += k.capacity() + 48;
    return bytes;
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
        if (cached.verdict == Verdict::costly) // judged again each run, never for good
            cached.verdict = judge(options_.metrics, options_.exclude_metrics, filter_subjects(s.name),
                                   cached.culprit);
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
    const std::string_view name = s.name;
    std::string_view base = name;
    // "metric:sum_by_deployment" -> "metric": recording-rule aggregation suffix.
    if (const auto colon = name.rfind(':'); colon != std::string_view::npos &&
                                            name.substr(colon).find("_by_") != std::string_view::npos)
        base = name.substr(0, colon);
    const bool bucket = ends_with(base, "_bucket");
    const bool total = ends_with(base, "_total");
    if (const KnownSeries* k = find_known(base)) {
        info->kind = k->kind;
        info->datadog = std::string(k->datadog);
    } else {
        // Unknown series: the TYPE line decides when there is one, the name otherwise.
        switch (type) {
        case MetricType::counter: info->kind = Kind::rate; break;
        case MetricType::histogram:
        case MetricType::gaugehistogram: info->kind = bucket ? Kind::histogram : Kind::gauge; break;
        case MetricType::untyped: info->kind = bucket ? Kind::histogram : total ? Kind::rate : Kind::gauge; break;
        default: info->kind = Kind::gauge; break;
        }
        const std::string clean = sanitize(base);
        if (info->kind == Kind::histogram)
            info->datadog = "fireworks." + clean.substr(0, clean.size() - 7);
        else if (info->kind == Kind::rate)
            info->datadog = "fireworks." + (total ? clean.substr(0, clean.size() - 6) : clean) + ".rate";
        else
            info->datadog = "fireworks." + clean;
    }
    if (info->kind == Kind::rate)
        info->count_name = (ends_with(info->datadog, ".rate") ? info->datadog.substr(0, info->datadog.size() - 5)
                                                              : info->datadog) + ".count";
    if (info->kind == Kind::histogram)
        for (double q : options_.quantiles)
            info->quantile_names.push_back(info->datadog + "." + quantile_suffix(q));

    info->verdict = judge(options_.metrics, options_.exclude_metrics, filter_subjects(name), info->culprit);
    info->last_run = run_;
    return *names_.emplace(std::move(key), std::move(info)).first->second;
}

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

// Names, deployments and carries of series that stopped coming are dropped
// once they outnumber the live ones: churn cannot grow the state.
void Mapper::prune(double now)
{
    auto prune_table = [this](auto& table, auto last_run_of) {
        std::size_t live = 0;
        for (const auto& entry : table)
            live += last_run_of(entry.second) == run_;
        if (table.size() <= 2 * live + kPruneSlack)
            return;
        for (auto it = table.begin(); it != table.end();)
            it = last_run_of(it->second) == run_ ? std::next(it) : table.erase(it);
    };
    prune_table(names_, [](const std::unique_ptr<NameInfo>& n) { return n->last_run; });
    prune_table(deployments_, [](const DeploymentInfo& d) { return d.last_run; });
    std::size_t live = 0;
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

MapStats Mapper::map(const ParseResult& r, double now, std::string& out)
{
    ++run_;
    filter_spent_ = {};
    filter_over_budget_ = false;
    for (const auto* list : {&options_.metrics, &options_.exclude_metrics, &options_.deployments_include,
                             &options_.deployments_exclude})
        for (const Pattern& p : *list)
            p.new_run();
    MapStats stats;
    Run run;
    run.by_key.reserve(r.samples.size() / 8 + 16);
    std::unordered_set<std::string_view> deployments;

    // The label set of a sample without `le`: its group identity.
    auto same_labels = [&r](const Sample& a, const Sample& b) {
        const Label* la = r.labels_of(a);
        const Label* lb = r.labels_of(b);
        std::uint32_t i = 0, j = 0;
        for (;;) {
            while (i < a.labels_count && la[i].name == "le")
                ++i;
            while (j < b.labels_count && lb[j].name == "le")
                ++j;
            if (i == a.labels_count || j == b.labels_count)
                return i == a.labels_count && j == b.labels_count;
            if (la[i].name != lb[j].name || la[i].value != lb[j].value)
                return false;
            ++i;
            ++j;
        }
    };

    const Sample* last = nullptr;
    std::uint32_t last_group = 0;
    const NameInfo* last_info = nullptr;
    std::string_view last_name;
    const std::string_view* last_deployment = nullptr;

    for (std::uint32_t index = 0; index < r.samples.size(); ++index) {
        const Sample& s = r.samples[index];
        ++stats.series;
        if (last_info == nullptr || s.name != last_name) {
            last_info = &name_info(r, s);
            last_name = s.name;
        }
        const NameInfo& info = *last_info;
        const Label* labels = r.labels_of(s);
        const std::string_view* le = nullptr;
        const std::string_view* deployment = nullptr;
        for (std::uint32_t i = 0; i < s.labels_count; ++i) {
            if (labels[i].name == "le")
                le = &labels[i].value;
            else if (labels[i].name == "deployment_id")
                deployment = &labels[i].value;
        }
        const Pattern* culprit = info.culprit;
        Verdict verdict = info.verdict;
        if (verdict == Verdict::keep && deployment)
            verdict = deployment_verdict(*deployment, culprit);
        if (verdict != Verdict::keep) {
            ++stats.filtered;
            stats.over_name_cap += info.over_cap;
            if (verdict == Verdict::costly) {
                ++stats.filter_gave_up;
                if (culprit)
                    stats.costly_pattern = culprit;
            }
            continue;
        }
        if (deployment && (last_deployment == nullptr || *deployment != *last_deployment)) {
            deployments.insert(*deployment);
            last_deployment = deployment;
        }

        // Find the group: consecutive samples usually share it.
        std::uint32_t g;
        if (last && same_labels(*last, s)) {
            g = last_group;
        } else {
            util::StreamHash h;
            for (std::uint32_t i = 0; i < s.labels_count; ++i) {
                if (labels[i].name == "le")
                    continue;
                h.add(labels[i].name);
                h.add(labels[i].value);
            }
            const std::uint64_t key = h.finish();
            auto [it, inserted] = run.by_key.try_emplace(key, static_cast<std::uint32_t>(run.groups.size()));
            if (!inserted && !same_labels(r.samples[run.groups[it->second].first_sample], s)) {
                // A 64-bit collision: give this label set a group of its own.
                it = run.by_key.end();
                inserted = true;
            }
            if (inserted) {
                g = static_cast<std::uint32_t>(run.groups.size());
                Group& ng = run.groups.emplace_back();
                ng.first_sample = index;
                ng.key = key;
                std::string& t = ng.tags;
                util::StringSink sink{t};
                rapidjson::Writer<util::StringSink> tw(sink);
                tw.StartArray();
                std::string tag;
                for (std::uint32_t i = 0; i < s.labels_count; ++i) {
                    const Label& l = labels[i];
                    if (l.name == "le" ||
                        std::find(options_.exclude_labels.begin(), options_.exclude_labels.end(), l.name) !=
                            options_.exclude_labels.end())
                        continue;
                    tag.assign(l.name).append(":").append(l.value);
                    tw.String(tag.data(), static_cast<rapidjson::SizeType>(tag.size()));
                    if (l.name == "base_model") {
                        const auto slash = l.value.rfind('/');
                        tag.assign("model:").append(slash == std::string_view::npos ? l.value : l.value.substr(slash + 1));
                        tw.String(tag.data(), static_cast<rapidjson::SizeType>(tag.size()));
                    }
                }
                for (const auto& t2 : options_.tags)
                    tw.String(t2.data(), static_cast<rapidjson::SizeType>(t2.size()));
                tw.EndArray();
            } else {
                g = it->second;
            }
        }
        last = &s;
        last_group = g;
        Group& group = run.groups[g];

        switch (info.kind) {
        case Kind::gauge:
        case Kind::rate:
            if (!std::isfinite(s.value)) {
                ++stats.non_finite;
                break;
            }
            group.gauges.emplace_back(&info.datadog, s.value);
            if (info.kind == Kind::rate && options_.rates_as_counts)
                group.rates.emplace_back(&info.count_name, s.value);
            break;
        case Kind::histogram: {
            Hist* hist = nullptr;
            for (auto& h : group.hists)
                if (h.name == &info)
                    hist = &h;
            if (!hist) {
                hist = &group.hists.emplace_back();
                hist->name = &info;
            }
            double upper = 0;
            if (!le || !parser::lex::parse_value(*le, upper) || std::isnan(upper)) {
                hist->malformed = true;
                break;
            }
            if (!std::isfinite(s.value) || upper == -std::numeric_limits<double>::infinity()) {
                hist->malformed = true; // an infinite count, or an le of -Inf, says nothing usable
                if (upper == -std::numeric_limits<double>::infinity())
                    break;
            }
            hist->buckets.push_back(Bucket{upper, s.value});
            break;
        }
        }
    }
    stats.deployments = deployments.size();

    // Emit, computing distribution counts and quantiles per histogram.
    struct BucketOut {
        const std::string* name;
        double count, lower, upper;
    };
    std::vector<std::pair<const std::string*, double>> gauges, counts;
    std::vector<BucketOut> buckets;
    util::StringSink sink{out};
    Writer w(sink);
    w.StartArray();
    const double first_interval = std::min(kWindow, options_.min_collection_interval);
    auto carry_for = [&](const std::string& name, std::uint64_t group_key) -> Carry& {
        util::StreamHash h;
        h.add(name);
        Carry& c = carry_[h.finish() ^ group_key];
        return c;
    };
    for (const Group& group : run.groups) {
        gauges = group.gauges;
        counts.clear();
        buckets.clear();
        for (const auto& [name, rate] : group.rates) {
            // rate x seconds since this series was last submitted, in whole
            // units; the fraction waits for the next run.
            Carry& c = carry_for(*name, group.key);
            const double elapsed = c.last_submitted > 0 ? std::min(kWindow, now - c.last_submitted) : first_interval;
            if (c.remainders.empty())
                c.remainders.emplace_back(0.0, 0.0);
            const double total = std::max(0.0, rate) * elapsed + c.remainders[0].second;
            c.last_submitted = c.last_seen = now;
            if (!std::isfinite(total)) { // a rate near the largest double overflows its count
                ++stats.non_finite;
                c.remainders[0].second = 0;
                continue;
            }
            const double whole = std::floor(total);
            c.remainders[0].second = total - whole;
            counts.emplace_back(name, whole);
        }
        for (const Hist& hist : group.hists) {
            const auto& info = *static_cast<const NameInfo*>(hist.name);
            const auto by_upper = [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; };
            std::vector<Bucket> b = hist.buckets;
            bool malformed = hist.malformed || !std::is_sorted(b.begin(), b.end(), by_upper);
            std::stable_sort(b.begin(), b.end(), by_upper);
            const auto dup = std::unique(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) { return x.upper == y.upper; });
            if (dup != b.end()) { // duplicate bounds: the first one stays
                malformed = true;
                b.erase(dup, b.end());
            }
            if (b.empty() || !std::isinf(b.back().upper))
                malformed = true;
            if (malformed)
                ++stats.malformed_histograms;
            // Missing, NaN or infinite counts take the bucket below: never
            // negative, never infinite.
            double running = 0;
            for (Bucket& x : b) {
                if (!std::isfinite(x.cumulative))
                    x.cumulative = running;
                running = std::max(running, x.cumulative);
            }

            Carry& c = carry_for(info.datadog, group.key);
            const double elapsed = c.last_submitted > 0 ? std::min(kWindow, now - c.last_submitted) : first_interval;
            c.last_submitted = c.last_seen = now;
            if (options_.distributions) {
                std::vector<std::pair<double, double>> next;
                next.reserve(b.size());
                // The first bucket starts at 0, or at its own bound when that is
                // not positive (never an inverted range).
                double previous = 0, lower = b.empty() ? 0 : std::min(0.0, b.front().upper);
                // Both lists are sorted by bound: one pass finds each carry.
                std::size_t carry_at = 0;
                for (const Bucket& x : b) {
                    const double rate = std::max(0.0, x.cumulative - previous); // de-cumulate; a drop counts as 0
                    previous = std::max(previous, x.cumulative);
                    while (carry_at < c.remainders.size() && c.remainders[carry_at].first < x.upper)
                        ++carry_at;
                    const double carried = carry_at < c.remainders.size() && c.remainders[carry_at].first == x.upper
                                               ? c.remainders[carry_at].second
                                               : 0.0;
                    const double total = rate * elapsed + carried;
                    if (!(total < kMaxBucketCount)) { // infinite, or past what the Agent takes as a count
                        ++stats.non_finite;
                        lower = x.upper;
                        continue;
                    }
                    const double whole = std::floor(total);
                    next.emplace_back(x.upper, total - whole);
                    if (whole >= 1)
                        buckets.push_back(BucketOut{&info.datadog, whole, lower, x.upper});
                    lower = x.upper;
                }
                c.remainders = std::move(next);
            }
            for (std::size_t q = 0; q < options_.quantiles.size(); ++q) {
                const double v = histogram_quantile(options_.quantiles[q], b);
                if (std::isfinite(v))
                    gauges.emplace_back(&info.quantile_names[q], v);
            }
        }

        w.StartObject();
        w.Key("tags");
        w.RawValue(group.tags.data(), group.tags.size(), rapidjson::kArrayType);
        w.Key("gauges");
        w.StartArray();
        for (const auto& [name, value] : gauges) {
            w.StartArray();
            write_name(w, *name);
            w.Double(value);
            w.EndArray();
        }
        w.EndArray();
        if (!counts.empty()) {
            w.Key("counts");
            w.StartArray();
            for (const auto& [name, value] : counts) {
                w.StartArray();
                write_name(w, *name);
                write_number(w, value);
                w.EndArray();
            }
            w.EndArray();
        }
        if (!buckets.empty()) {
            w.Key("buckets");
            w.StartArray();
            for (const BucketOut& x : buckets) {
                w.StartArray();
                write_name(w, *x.name);
                write_number(w, x.count);
                write_number(w, x.lower);
                write_number(w, x.upper); // +Inf is written as Infinity, which Python's json reads
                w.EndArray();
            }
            w.EndArray();
        }
        w.EndObject();
        stats.points += gauges.size() + counts.size() + buckets.size();
    }
    w.EndArray();
    if (now - last_eviction_ >= kWindow)
        evict(now);
    prune(now);
    stats.filter_over_budget = filter_over_budget_;
    return stats;
}

} // namespace fwm::mapping
