#include "fleet_api.hpp"

#include <algorithm>
#include <ctime>
#include <set>

namespace fwm::test {

namespace {

std::string param(const std::string& query, const std::string& name)
{
    std::size_t at = 0;
    while (at < query.size()) {
        const std::size_t end = std::min(query.find('&', at), query.size());
        const std::string pair = query.substr(at, end - at);
        if (pair.rfind(name + "=", 0) == 0) {
            std::string raw = pair.substr(name.size() + 1), out;
            for (std::size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] == '%' && i + 2 < raw.size()) {
                    out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
                    i += 2;
                } else {
                    out += raw[i];
                }
            }
            return out;
        }
        at = end + 1;
    }
    return {};
}

std::string day_start(std::time_t t)
{
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT00:00:00Z", &tm);
    return buf;
}

Reply json_reply(std::string body)
{
    Reply r;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = std::move(body);
    return r;
}

const char* kAccelerators[] = {"NVIDIA_H100_80GB", "NVIDIA_A100_80GB", "AMD_MI300X_192GB"};
const unsigned kAcceleratorCounts[] = {8, 4, 8};
const char* kRegions[] = {"US_VIRGINIA_1", "EU_FRANKFURT_1", "US_IOWA_1"};

} // namespace

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

FleetApi::FleetApi(std::string account, Source source, unsigned page_size)
    : account_(std::move(account)), source_(std::move(source)), page_size_(std::max(1u, page_size))
{
}

std::optional<Reply> FleetApi::answer(const RequestRecord& req)
{
    const std::string prefix = "/v1/accounts/" + account_ + "/";
    if (req.target.rfind(prefix, 0) != 0)
        return std::nullopt;
    const std::string rest = req.target.substr(prefix.size());
    const std::size_t q = rest.find('?');
    const std::string path = rest.substr(0, q), query = q == std::string::npos ? "" : rest.substr(q + 1);
    std::lock_guard lock(mutex_);
    if (path == "deployments")
        return deployments(query);
    if (path == "billingUsage")
        return usage(query);
    return std::nullopt;
}

Reply FleetApi::deployments(const std::string& query)
{
    const std::string token = param(query, "pageToken");
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
    const unsigned step = listings_ - 1;
    auto list = source_();
    if (step == 2 || step == 3)
        list.emplace_back("canary", "accounts/fireworks/models/deepseek-v3"); // created at step 2, gone at 4
    std::string items;
    const std::size_t page = std::min<std::size_t>(page_size_, std::max(1, std::atoi(param(query, "pageSize").c_str())));
    const std::time_t now = std::time(nullptr);
    for (std::size_t i = offset; i < list.size() && i < offset + page; ++i) {
        const auto& [id, model] = list[i];
        const unsigned k = static_cast<unsigned>(i % 3);
        unsigned desired = 2, replicas = 2;
        std::string state = "READY", status = R"({"code": "OK", "message": ""})";
        if (i == 0) { // scales 1 -> 2 -> 3 -> 1, the replicas one listing behind
            desired = 1 + step % 3;
            replicas = step ? 1 + (step - 1) % 3 : 1;
        } else if (i == 1 && step == 2) { // fails at the third listing, recovers at the fourth
            state = "FAILED";
            replicas = 0;
            status = R"({"code": "RESOURCE_EXHAUSTED", "message": "no )" + std::string(kAccelerators[k]) +
                     " capacity in " + kRegions[k] + R"("})";
        }
        const unsigned ready = state == "READY" ? std::min(replicas, desired) : 0;
        if (!items.empty())
            items += ",";
        items += R"({"name": "accounts/)" + account_ + "/deployments/" + id + R"(", "displayName": "Deployment )" +
                 std::to_string(i) + R"(", "state": ")" + state + R"(", "status": )" + status +
                 R"(, "baseModel": ")" + model + R"(", "acceleratorType": ")" + kAccelerators[k] +
                 R"(", "acceleratorCount": )" + std::to_string(kAcceleratorCounts[k]) + R"(, "region": ")" +
                 kRegions[k] + R"(", "minReplicaCount": 1, "maxReplicaCount": "4", "desiredReplicaCount": )" +
                 std::to_string(desired) + R"(, "replicaCount": )" + std::to_string(replicas) +
                 R"(, "replicaStats": {"readyReplicaCount": )" + std::to_string(ready) +
                 R"(, "pendingSchedulingReplicaCount": )" + std::to_string(replicas - ready) +
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
    const std::string start = param(query, "startTime");
    if (start.empty() || param(query, "endTime").empty()) {
        Reply r = json_reply(R"({"code": 3, "message": "start_time and end_time are required"})");
        r.status = 400;
        return r;
    }
    const unsigned n = ++readings_;
    std::string dedicated, serverless;
    const auto list = source_();
    for (std::size_t i = 0; i < list.size(); ++i) {
        const unsigned k = static_cast<unsigned>(i % 3);
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

} // namespace fwm::test
