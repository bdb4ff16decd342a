#include "fleet/usage.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <optional>
#include <tuple>
#include <vector>

#include "fleet/rfc3339.hpp"
#include "util/json_kind.hpp"

namespace fwm::fleet {

namespace {

// A row's key: the field, else the same dimension in its `group` map.
std::string key_of(const rapidjson::Value& row, const char* field, const char* group_key, const std::string& where,
                   const UsageLimits& limits, Problems& problems)
{
    if (auto v = text_field(row, field, where, limits.max_text_bytes, problems); v && !v->empty())
        return *v;
    const auto g = row.FindMember("group");
    if (g != row.MemberEnd() && g->value.IsObject())
        if (auto v = text_field(g->value, group_key, where + ".group", limits.max_text_bytes, problems))
            return *v;
    return {};
}

struct Window {
    std::optional<double> start, end;
};

// startTime and endTime; one that is not an RFC 3339 time is noted and read as absent.
Window window_of(const rapidjson::Value& row, const std::string& where, Problems& problems)
{
    Window w;
    for (const auto& [name, into] : {std::pair{"startTime", &w.start}, std::pair{"endTime", &w.end}}) {
        if (const auto t = text_field(row, name, where, 64, problems)) {
            *into = parse_rfc3339(*t);
            if (!*into)
                problems.add(where + "." + name + ": \"" + *t + "\" is not an RFC 3339 time");
        }
    }
    if (w.start && w.end && *w.end <= *w.start)
        problems.add(where + ": endTime is not after startTime; the row cannot be checked for overlaps");
    return w;
}

// Token counts of a serverless row; either may be absent.
struct Tokens {
    std::optional<std::uint64_t> prompt, completion;
    // Written out: the portable build's libc++ has no <=> for std::optional.
    friend bool operator==(const Tokens& a, const Tokens& b)
    {
        return a.prompt == b.prompt && a.completion == b.completion;
    }
    friend bool operator<(const Tokens& a, const Tokens& b)
    {
        return std::tie(a.prompt, a.completion) < std::tie(b.prompt, b.completion);
    }
};

// One row that may count, as the rules of usage.hpp need it.
template <class Amount>
struct Row {
    Window window;
    Amount amount;
    std::size_t index; // in its list
    bool checked() const { return window.start && window.end && *window.end > *window.start; }
    double width() const { return *window.end - *window.start; }
};

std::string row_where(const char* list, std::size_t index)
{
    return std::string(list) + "[" + std::to_string(index) + "]";
}

// The rows of one series that count, in answer order (usage.hpp): a repeat
// counts once, and of overlapping windows only the widest (of equal ones
// the first) counts. Each row set aside is a problem and skipped.
template <class Amount>
std::vector<const Row<Amount>*> counted(const std::vector<Row<Amount>>& rows, const char* list, const char* series,
                                        Usage& u)
{
    if (rows.empty())
        return {};
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const auto identity = [&](std::size_t i) {
        return std::tie(rows[i].window.start, rows[i].window.end, rows[i].amount);
    };
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::tuple_cat(identity(a), std::tie(rows[a].index)) < std::tuple_cat(identity(b), std::tie(rows[b].index));
    });
    std::vector<bool> out(rows.size());
    for (std::size_t k = 1, first = order[0]; k < order.size(); ++k) {
        if (identity(order[k]) != identity(first)) {
            first = order[k];
            continue;
        }
        out[order[k]] = true;
        u.problems.add(row_where(list, rows[order[k]].index) + ": the same row as " +
                       row_where(list, rows[first].index) + "; counted once");
    }
    // Widest first, then answer order: a row counts when no row before it
    // in that order overlaps it. Counted windows never overlap, so only the
    // one starting last before this one ends can.
    std::erase_if(order, [&](std::size_t i) { return out[i] || !rows[i].checked(); });
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::pair(-rows[a].width(), rows[a].index) < std::pair(-rows[b].width(), rows[b].index);
    });
    std::map<double, std::size_t> kept; // start -> row
    for (const std::size_t i : order) {
        const Row<Amount>& r = rows[i];
        const auto after = kept.lower_bound(*r.window.end);
        if (after != kept.begin()) {
            const std::size_t other = std::prev(after)->second;
            if (*rows[other].window.end > *r.window.start) {
                out[i] = true;
                u.problems.add(row_where(list, r.index) + ": its window overlaps " + row_where(list, rows[other].index) +
                               "'s for the same " + series + "; only " + row_where(list, rows[other].index) +
                               " (the wider, or the first of equal ones) is counted");
                continue;
            }
        }
        kept.emplace(*r.window.start, i);
    }
    std::vector<const Row<Amount>*> result;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (out[i])
            ++u.skipped;
        else
            result.push_back(&rows[i]);
    }
    return result;
}

void add_tokens(std::map<std::string, std::uint64_t>& into, const std::string& model, std::uint64_t n,
                const std::string& where, Problems& problems)
{
    std::uint64_t& total = into[model];
    if (total > UINT64_MAX - n) {
        problems.add(where + ": the day's token total passes 2^64-1; kept at the maximum");
        total = UINT64_MAX;
        return;
    }
    total += n;
}

constexpr const char* kDedicated = "dedicatedCosts";
constexpr const char* kServerless = "serverlessCosts";

// The rows that may count, by series, until the answer is read.
struct Rows {
    // (deployment, accelerator, usageType)
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<Row<double>>> dedicated;
    // (model, usageType)
    std::map<std::pair<std::string, std::string>, std::vector<Row<Tokens>>> serverless;
};

bool read_dedicated(const rapidjson::Value& v, const Window& w, std::size_t index, const UsageLimits& limits,
                    Rows& rows, Usage& u)
{
    const std::string where = row_where(kDedicated, index);
    std::string deployment(last_segment(key_of(v, "deploymentId", "deployment_name", where, limits, u.problems)));
    std::string accelerator = key_of(v, "acceleratorType", "accelerator_type", where, limits, u.problems);
    const auto seconds = quantity_field(v, "acceleratorSeconds", where, u.problems);
    if (deployment.empty() || !seconds) {
        if (deployment.empty())
            u.problems.add(where + ": no deployment");
        return false;
    }
    std::string type = text_field(v, "usageType", where, limits.max_text_bytes, u.problems).value_or("");
    rows.dedicated[{std::move(deployment), std::move(accelerator), std::move(type)}].push_back({w, *seconds, index});
    return true;
}

bool read_serverless(const rapidjson::Value& v, const Window& w, std::size_t index, const UsageLimits& limits,
                     Rows& rows, Usage& u)
{
    const std::string where = row_where(kServerless, index);
    std::string model = key_of(v, "modelName", "model_name", where, limits, u.problems);
    if (model.empty()) {
        u.problems.add(where + ": no model");
        return false;
    }
    const Tokens tokens{count_field(v, "promptTokens", where, u.problems),
                        count_field(v, "completionTokens", where, u.problems)};
    if (!tokens.prompt && !tokens.completion)
        return false;
    std::string type = text_field(v, "usageType", where, limits.max_text_bytes, u.problems).value_or("");
    rows.serverless[{std::move(model), std::move(type)}].push_back({w, tokens, index});
    return true;
}

// The day's totals from the rows that count.
void total(const Rows& rows, Usage& u)
{
    for (const auto& [key, series] : rows.dedicated) {
        double& seconds = u.accelerator_seconds[{std::get<0>(key), std::get<1>(key)}];
        for (const Row<double>* r : counted(series, kDedicated, "deployment and accelerator", u)) {
            if (seconds > std::numeric_limits<double>::max() - r->amount) { // finite rows, infinite sum
                u.problems.add(row_where(kDedicated, r->index) +
                               ": the day's accelerator-seconds pass a double's range; kept at the maximum");
                seconds = std::numeric_limits<double>::max();
                continue;
            }
            seconds += r->amount;
        }
    }
    for (const auto& [key, series] : rows.serverless) {
        for (const Row<Tokens>* r : counted(series, kServerless, "model", u)) {
            const std::string where = row_where(kServerless, r->index);
            if (r->amount.prompt)
                add_tokens(u.prompt_tokens, key.first, *r->amount.prompt, where, u.problems);
            if (r->amount.completion)
                add_tokens(u.completion_tokens, key.first, *r->amount.completion, where, u.problems);
        }
    }
}

} // namespace

Usage parse_usage(std::string_view json, double day_start, double day_end, const UsageLimits& limits)
{
    Usage u;
    Rows rows;
    AnswerParts parts;
    parts.lists = {kDedicated, kServerless};
    parts.element = [&](std::size_t list, std::size_t index, const rapidjson::Value& v) {
        if (u.rows == limits.max_rows) {
            u.problems.add("more than " + std::to_string(limits.max_rows) + " usage rows; the rest are skipped");
            ++u.skipped;
            return false;
        }
        const std::string where = row_where(parts.lists[list], index);
        if (!v.IsObject()) {
            u.problems.add(where + ": expected a mapping, got " + util::json_kind(v));
            ++u.skipped;
            return true;
        }
        const Window w = window_of(v, where, u.problems);
        // A row without a readable startTime counts: the request asked for that day only.
        if (w.start && (*w.start < day_start || *w.start >= day_end)) {
            ++u.skipped;
            return true;
        }
        ++u.rows;
        if (!(list == 0 ? read_dedicated(v, w, index, limits, rows, u) : read_serverless(v, w, index, limits, rows, u)))
            ++u.skipped;
        return true;
    };
    parts.unread = [&](std::size_t, std::size_t count) { u.skipped += count; };
    read_answer(json, "the usage answer", parts);
    total(rows, u);
    return u;
}

} // namespace fwm::fleet
