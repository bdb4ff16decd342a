#include "fleet/deployments.hpp"

#include <algorithm>
#include <stdexcept>

#include "fleet/rfc3339.hpp"
#include "util/json_kind.hpp"
#include "util/text.hpp"

namespace fwm::fleet {

namespace {

// Annotation keys become tag names: keep the characters Datadog keeps.
bool usable_key(std::string_view k) noexcept
{
    if (k.empty() || k.size() > 63)
        return false;
    return std::all_of(k.begin(), k.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.' || c == '/';
    });
}

std::string placement_text(const rapidjson::Value& p, const std::string& where, const PageLimits& limits,
                           Problems& problems)
{
    if (auto r = text_field(p, "region", where, limits.max_text_bytes, problems))
        return *r;
    if (auto r = text_field(p, "multiRegion", where, limits.max_text_bytes, problems))
        return *r;
    const auto it = p.FindMember("regions");
    if (it == p.MemberEnd() || !it->value.IsArray())
        return {};
    std::string joined;
    for (const auto& r : it->value.GetArray()) {
        if (!r.IsString())
            continue;
        if (!joined.empty())
            joined += '+';
        joined += std::string_view(r.GetString(), r.GetStringLength());
        if (joined.size() > limits.max_text_bytes)
            break;
    }
    return util::clean_text(joined, limits.max_text_bytes);
}

// The replica counts, the deployment's own and those of replicaStats.
void read_replicas(const rapidjson::Value& v, const std::string& where, Deployment& d, Problems& problems)
{
    d.replicas = count_field(v, "replicaCount", where, problems);
    d.desired_replicas = count_field(v, "desiredReplicaCount", where, problems);
    d.min_replicas = count_field(v, "minReplicaCount", where, problems);
    d.max_replicas = count_field(v, "maxReplicaCount", where, problems);
    d.accelerator_count = count_field(v, "acceleratorCount", where, problems);
    if (const auto* rs = object_member(v, "replicaStats", where, problems)) {
        const std::string w = where + ".replicaStats";
        d.ready_replicas = count_field(*rs, "readyReplicaCount", w, problems);
        d.pending_scheduling_replicas = count_field(*rs, "pendingSchedulingReplicaCount", w, problems);
        d.downloading_model_replicas = count_field(*rs, "downloadingModelReplicaCount", w, problems);
        d.initializing_replicas = count_field(*rs, "initializingReplicaCount", w, problems);
    }
}

// The annotations that make tags: usable keys, string values, at most
// max_annotations, sorted, each key once.
void read_annotations(const rapidjson::Value& a, const std::string& where, const PageLimits& limits, Deployment& d,
                      Problems& problems)
{
    for (const auto& m : a.GetObject()) {
        const std::string_view key(m.name.GetString(), m.name.GetStringLength());
        if (!usable_key(key) || !m.value.IsString()) {
            problems.add(where + ".annotations: skipped \"" + util::clean_text(key, 40) +
                         "\" (keys are 1 to 63 of [A-Za-z0-9_.-/], values strings)");
            continue;
        }
        if (d.annotations.size() == limits.max_annotations) {
            problems.add(where + ".annotations: more than " + std::to_string(limits.max_annotations) +
                         "; the rest are skipped");
            break;
        }
        d.annotations.emplace_back(
            std::string(key),
            util::clean_text(std::string_view(m.value.GetString(), m.value.GetStringLength()), limits.max_text_bytes));
    }
    std::sort(d.annotations.begin(), d.annotations.end());
    d.annotations.erase(std::unique(d.annotations.begin(), d.annotations.end(),
                                    [](const auto& x, const auto& y) { return x.first == y.first; }),
                        d.annotations.end());
}

// The id is matched against the metrics' deployment_id label: taken raw,
// and refused ("") unless it is printable as it is.
std::string_view usable_id(const rapidjson::Value& v, const PageLimits& limits)
{
    const auto name = v.FindMember("name");
    std::string_view id;
    if (name != v.MemberEnd() && name->value.IsString())
        id = last_segment(std::string_view(name->value.GetString(), name->value.GetStringLength()));
    // "." and ".." would name another path once in a request target.
    if (id.size() > limits.max_text_bytes || !util::is_clean_text(id) || id == "." || id == "..")
        return {};
    return id;
}

bool read_deployment(const rapidjson::Value& v, std::size_t index, const PageLimits& limits, Deployment& d,
                     Problems& problems)
{
    const std::string where = "deployments[" + std::to_string(index) + "]";
    if (!v.IsObject()) {
        problems.add(where + ": expected a mapping, got " + util::json_kind(v));
        return false;
    }
    const std::string_view id = usable_id(v, limits);
    if (id.empty()) {
        problems.add(where + ": no usable name");
        return false;
    }
    d.id = std::string(id);
    d.display_name = text_field(v, "displayName", where, limits.max_text_bytes, problems).value_or("");
    d.state = text_field(v, "state", where, 64, problems).value_or("");
    d.accelerator_type = text_field(v, "acceleratorType", where, limits.max_text_bytes, problems).value_or("");
    d.base_model = text_field(v, "baseModel", where, limits.max_text_bytes, problems).value_or("");
    d.region = text_field(v, "region", where, limits.max_text_bytes, problems).value_or("");
    if (d.region.empty() || d.region == "REGION_UNSPECIFIED") {
        if (const auto* p = object_member(v, "placement", where, problems))
            d.region = placement_text(*p, where + ".placement", limits, problems);
    }
    if (const auto* s = object_member(v, "status", where, problems)) {
        d.status_code = text_field(*s, "code", where + ".status", 64, problems).value_or("");
        d.status_message = text_field(*s, "message", where + ".status", limits.max_message_bytes, problems).value_or("");
    }
    read_replicas(v, where, d, problems);
    if (auto t = text_field(v, "createTime", where, 64, problems)) {
        d.create_time = parse_rfc3339(*t);
        if (!d.create_time)
            problems.add(where + ".createTime: \"" + *t + "\" is not an RFC 3339 time");
    }
    if (const auto* a = object_member(v, "annotations", where, problems))
        read_annotations(*a, where, limits, d, problems);
    return true;
}

} // namespace

DeploymentsPage parse_deployments_page(std::string_view json, const PageLimits& limits)
{
    DeploymentsPage page;
    AnswerParts parts;
    parts.lists = {"deployments"};
    parts.members = {"nextPageToken"};
    read_list_into(parts, page.deployments, limits.max_deployments, page.skipped, page.problems, "deployments",
                   [&](const rapidjson::Value& v, std::size_t index, Deployment& d) {
                       return read_deployment(v, index, limits, d, page.problems);
                   });
    parts.member = [&](std::size_t, const rapidjson::Value& v) {
        page.next_page_token = page_token(v, "the deployments answer", limits.max_page_token_bytes, page.problems);
    };
    read_answer(json, "the deployments answer", parts);
    return page;
}

std::string parse_termination_message(std::string_view json, std::size_t max_bytes)
{
    std::string message;
    AnswerParts parts;
    parts.members = {"message"};
    parts.member = [&](std::size_t, const rapidjson::Value& v) {
        if (v.IsString())
            message = util::clean_text(std::string_view(v.GetString(), v.GetStringLength()), max_bytes);
    };
    read_answer(json, "the termination message answer", parts);
    return message;
}

} // namespace fwm::fleet
