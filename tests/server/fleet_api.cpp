#include "fleet_api.hpp"

#include <algorithm>
#include <ctime>
#include <set>

#include "account_api.hpp"
#include "cost_api.hpp"
#include "fleet_model.hpp"
#include "rest_json.hpp"

namespace fwm::test {

std::vector<std::pair<std::string, std::string>> deployments_in(const std::string& payload)
{
    std::set<std::pair<std::string, std::string>> found;
    std::size_t at = 0;
    while ((at = payload.find("deployment_id=\"", at)) != std::string::npos) {
        const std::size_t line = payload.rfind('\n', at) == std::string::npos ? 0 : payload.rfind('\n', at) + 1;
        const std::size_t end = payload.find('"', at + 15);
        const std::string id = payload.substr(at + 15, end - at - 15);
        std::string model;
        const std::size_t b = payload.find("base_model=\"", line);
        if (b != std::string::npos && b < at + 15)
            model = payload.substr(b + 12, payload.find('"', b + 12) - b - 12);
        found.emplace(id, model);
        at = end;
    }
    return {found.begin(), found.end()};
}

FleetApi::FleetApi(std::string account, Source source, unsigned page_size, bool costs_self_only,
                   std::string suspend_state)
    : account_(std::move(account)), source_(std::move(source)), page_size_(std::max(1u, page_size)),
      costs_self_only_(costs_self_only), suspend_state_(std::move(suspend_state))
{
}

bool FleetApi::rest_target(const std::string& target)
{
    const std::string path = target.substr(0, target.find('?'));
    const std::string accounts = "/v1/accounts/";
    if (path.rfind(accounts, 0) != 0)
        return false;
    const std::size_t slash = path.find('/', accounts.size());
    return slash == std::string::npos || path.substr(slash) != "/metrics";
}

unsigned FleetApi::step() const
{
    return listings_ ? listings_ - 1 : 0;
}

std::optional<Reply> FleetApi::answer(const RequestRecord& req)
{
    const std::string base = "/v1/accounts/" + account_;
    if (req.target.rfind(base, 0) != 0)
        return std::nullopt;
    std::string rest = req.target.substr(base.size());
    if (!rest.empty() && rest[0] != '/' && rest[0] != '?')
        return std::nullopt; // another account whose id starts with this one
    const std::size_t q = rest.find('?');
    const std::string query = q == std::string::npos ? "" : rest.substr(q + 1);
    std::string path = rest.substr(0, q);
    if (!path.empty())
        path.erase(0, 1);
    if (path == "metrics")
        return std::nullopt;
    if (const std::size_t c = path.find("%3A"); c != std::string::npos)
        path.replace(c, 3, ":");
    std::lock_guard lock(mutex_);
    if (path == "usageCosts:query")
        return req.method == "POST" ? usage_costs_reply(req, cost_readings_, page_size_, costs_self_only_)
                                    : error_reply(405, 12, "usageCosts:query takes POST");
    if (req.method != "GET")
        return error_reply(405, 12, req.method + " " + path + " is not allowed");
    if (path.empty())
        return account_reply(account_, ++account_readings_, suspend_state_);
    if (path == "deployments")
        return deployments(query);
    if (path == "billingUsage")
        return usage(query);
    if (path == "quotas")
        return quotas_reply(account_, fleet_at(source_(), step()),
                            query_param(query, "pageToken").empty() ? ++quota_listings_ : quota_listings_, query,
                            page_size_);
    if (path == "billing/summary")
        return billing_summary_reply(query, ++billing_readings_);
    const std::string suffix = "/terminationMessage";
    if (path.rfind("deployments/", 0) == 0 && path.size() > 12 + suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
        return termination_message(path.substr(12, path.size() - 12 - suffix.size()));
    return error_reply(404, 5, "no such resource: " + path);
}

Reply FleetApi::deployments(const std::string& query)
{
    const std::string token = query_param(query, "pageToken");
    std::size_t offset = 0;
    if (!token.empty()) {
        if (token.rfind("off+", 0) != 0 || token.size() < 5) {
            Reply r = json_reply(R"({"code": 3, "message": "invalid page token"})");
            r.status = 400;
            return r;
        }
        offset = std::stoul(token.substr(4));
    } else {
        ++listings_;
    }
    const auto list = fleet_at(source_(), listings_ - 1);
    std::string items;
    const std::size_t page = std::min<std::size_t>(page_size_, std::max(1, std::atoi(query_param(query, "pageSize").c_str())));
    const std::time_t now = std::time(nullptr);
    for (std::size_t i = offset; i < list.size() && i < offset + page; ++i) {
        const FleetDeployment& d = list[i];
        const unsigned k = d.kind;
        const std::string state = d.failed ? "FAILED" : "READY";
        const std::string status = d.failed ? R"({"code": "RESOURCE_EXHAUSTED", "message": "no )" +
                                                  std::string(kAccelerators[k]) + " capacity in " + kRegions[k] + R"("})"
                                            : R"({"code": "OK", "message": ""})";
        const unsigned ready = d.failed ? 0 : std::min(d.replicas, d.desired);
        if (!items.empty())
            items += ",";
        items += R"({"name": "accounts/)" + account_ + "/deployments/" + d.id + R"(", "displayName": "Deployment )" +
                 std::to_string(i) + R"(", "state": ")" + state + R"(", "status": )" + status +
                 R"(, "baseModel": ")" + d.model + R"(", "acceleratorType": ")" + kAccelerators[k] +
                 R"(", "acceleratorCount": )" + std::to_string(kAcceleratorCounts[k]) + R"(, "region": ")" +
                 kRegions[k] + R"(", "minReplicaCount": 1, "maxReplicaCount": "4", "desiredReplicaCount": )" +
                 std::to_string(d.desired) + R"(, "replicaCount": )" + std::to_string(d.replicas) +
                 R"(, "replicaStats": {"readyReplicaCount": )" + std::to_string(ready) +
                 R"(, "pendingSchedulingReplicaCount": )" + std::to_string(d.replicas - ready) +
                 R"(, "downloadingModelReplicaCount": 0, "initializingReplicaCount": "0"}, "createTime": ")" +
                 day_start(now - 86400 * static_cast<std::time_t>(i + 1)) + R"(", "annotations": {"team": ")" +
                 (i % 2 ? "research" : "search") + R"(", "cost-center": "cc-)" + std::to_string(100 + i) +
                 R"("}, "futureField": {"nested": true}})";
    }
    std::string body = R"({"deployments": [)" + items + "]";
    if (offset + page < list.size())
        body += R"(, "nextPageToken": "off+)" + std::to_string(offset + page) + "\"";
    body += R"(, "totalSize": )" + std::to_string(list.size()) + "}";
    return json_reply(body);
}

Reply FleetApi::usage(const std::string& query)
{
    const std::string start = query_param(query, "startTime");
    if (start.empty() || query_param(query, "endTime").empty()) {
        Reply r = json_reply(R"({"code": 3, "message": "start_time and end_time are required"})");
        r.status = 400;
        return r;
    }
    const unsigned n = ++readings_;
    std::string dedicated, serverless;
    const auto list = source_();
    for (std::size_t i = 0; i < list.size(); ++i) {
        const unsigned k = static_cast<unsigned>(i % kKinds);
        if (!dedicated.empty())
            dedicated += ",";
        dedicated += R"({"deploymentId": ")" + list[i].first + R"(", "acceleratorType": ")" + kAccelerators[k] +
                     R"(", "acceleratorSeconds": ")" + std::to_string(600ull * n * kAcceleratorCounts[k]) +
                     R"(", "startTime": ")" + start + R"(", "placement": "US", "usageType": "DEDICATED_DEPLOYMENT"})";
    }
    const char* models[] = {"accounts/fireworks/models/kimi-k2-instruct", "accounts/fireworks/models/llama-v3p1-8b-instruct"};
    for (unsigned m = 0; m < 2; ++m) {
        if (!serverless.empty())
            serverless += ",";
        serverless += R"({"modelName": ")" + std::string(models[m]) + R"(", "promptTokens": ")" +
                      std::to_string(1842301ull * n * (m + 1)) + R"(", "completionTokens": ")" +
                      std::to_string(412980ull * n * (m + 1)) + R"(", "startTime": ")" + start +
                      R"(", "audioInputSeconds": 0, "usageType": "TEXT_COMPLETION_INFERENCE_USAGE", "group": {}})";
    }
    return json_reply(R"({"dedicatedCosts": [)" + dedicated + R"(], "serverlessCosts": [)" + serverless + "]}");
}

Reply FleetApi::termination_message(const std::string& id)
{
    // The second deployment's, once it has failed (the third listing); no
    // other deployment ever terminated.
    const auto fleet = fleet_at(source_(), step());
    if (listings_ < 3 || fleet.size() < 2 || fleet[1].id != id)
        return error_reply(404, 5, "deployment " + id + " has no termination message");
    const unsigned k = fleet[1].kind;
    return json_reply(R"({"message": )" +
                      json_quote("replica 0 could not be scheduled: 0 of " + std::to_string(kAcceleratorCounts[k]) +
                                 " " + kAccelerators[k] + " free in " + kRegions[k] +
                                 "; the deployment was stopped after 3 attempts") +
                      "}");
}

} // namespace fwm::test
