#include "fleet/usage.hpp"

#include <stdexcept>

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

bool in_day(const rapidjson::Value& row, double day_start, double day_end, const std::string& where,
            Problems& problems)
{
    const auto t = text_field(row, "startTime", where, 64, problems);
    if (!t)
        return true;
    const auto when = parse_rfc3339(*t);
    if (!when) {
        problems.add(where + ".startTime: \"" + *t + "\" is not an RFC 3339 time");
        return true;
    }
    return *when >= day_start && *when < day_end;
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

} // namespace

Usage parse_usage(std::string_view json, double day_start, double day_end, const UsageLimits& limits)
{
    Usage u;
    const auto dedicated = [&](const rapidjson::Value& v, const std::string& where) {
        const std::string deployment(
            last_segment(key_of(v, "deploymentId", "deployment_name", where, limits, u.problems)));
        const std::string accelerator = key_of(v, "acceleratorType", "accelerator_type", where, limits, u.problems);
        const auto seconds = quantity_field(v, "acceleratorSeconds", where, u.problems);
        if (deployment.empty() || !seconds) {
            if (deployment.empty())
                u.problems.add(where + ": no deployment");
            return false;
        }
        u.accelerator_seconds[{deployment, accelerator}] += *seconds;
        return true;
    };
    const auto serverless = [&](const rapidjson::Value& v, const std::string& where) {
        const std::string model = key_of(v, "modelName", "model_name", where, limits, u.problems);
        if (model.empty()) {
            u.problems.add(where + ": no model");
            return false;
        }
        const auto prompt = count_field(v, "promptTokens", where, u.problems);
        const auto completion = count_field(v, "completionTokens", where, u.problems);
        if (!prompt && !completion)
            return false;
        if (prompt)
            add_tokens(u.prompt_tokens, model, *prompt, where, u.problems);
        if (completion)
            add_tokens(u.completion_tokens, model, *completion, where, u.problems);
        return true;
    };
    AnswerParts parts;
    parts.lists = {"dedicatedCosts", "serverlessCosts"};
    parts.element = [&](std::size_t list, std::size_t index, const rapidjson::Value& v) {
        const std::string where = std::string(parts.lists[list]) + "[" + std::to_string(index) + "]";
        if (u.rows == limits.max_rows) {
            u.problems.add("more than " + std::to_string(limits.max_rows) + " usage rows; the rest are skipped");
            ++u.skipped;
            return false;
        }
        if (!v.IsObject()) {
            u.problems.add(where + ": expected a mapping, got " + util::json_kind(v));
            ++u.skipped;
            return true;
        }
        if (!in_day(v, day_start, day_end, where, u.problems)) {
            ++u.skipped;
            return true;
        }
        ++u.rows;
        if (!(list == 0 ? dedicated(v, where) : serverless(v, where)))
            ++u.skipped;
        return true;
    };
    parts.unread = [&](std::size_t, std::size_t count) { u.skipped += count; };
    read_answer(json, "the usage answer", parts);
    return u;
}

} // namespace fwm::fleet
