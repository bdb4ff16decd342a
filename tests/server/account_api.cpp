#include "account_api.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>

#include "rest_json.hpp"

namespace fwm::test {

Reply account_reply(const std::string& account, unsigned reading, const std::string& suspend_state)
{
    // Credits run out for a reading; the account reactivates by itself,
    // as Fireworks says it does within the hour once paid.
    const std::string state =
        !suspend_state.empty() ? suspend_state : reading == 3 ? "CREDIT_DEPLETED" : "UNSUSPENDED";
    const std::time_t now = std::time(nullptr);
    return json_reply(R"({"name": "accounts/)" + account + R"(", "displayName": "Acme AI", "email": "ops@acme.example", )"
                      R"("accountType": "ENTERPRISE", "createTime": ")" + utc_time(now - 400 * 86400) +
                      R"(", "updateTime": ")" + utc_time(now - 60) + R"(", "state": "READY", "suspendState": ")" +
                      state +
                      R"(", "status": {"code": "OK", "message": ""}, "futureField": {"nested": true}})");
}

Reply quotas_reply(const std::string& account, const std::vector<FleetDeployment>& fleet, unsigned listing,
                   const std::string& query, unsigned page_size)
{
    std::size_t offset = 0;
    const std::string token = query_param(query, "pageToken");
    if (!token.empty()) {
        if (token.rfind("q+", 0) != 0 || token.size() < 3 || token.find_first_not_of("0123456789", 2) != std::string::npos)
            return error_reply(400, 3, "invalid page token");
        offset = std::stoul(token.substr(2));
    }
    // Accelerators in use per kind: what the deployments API shows running.
    unsigned in_use[kKinds] = {};
    for (const FleetDeployment& d : fleet)
        in_use[d.kind] += d.replicas * kAcceleratorCounts[d.kind];
    const double spend = 612.40 + 87.15 * std::min(listing ? listing - 1 : 0u, 4u); // stays below the limit of 1000

    // Each entry: id and the fields after the name, in the encodings real
    // answers mix: int64 as strings or numbers, one in snake_case, an
    // unknown field.
    std::vector<std::pair<std::string, std::string>> quotas = {
        {"monthly-spend-usd", R"("value": "1000", "maxValue": "1000", "usage": )" + json_number(spend)},
        {"serverless-inference-rpm",
         R"("value": 6000, "maxValue": 6000, "usage": )" + std::to_string(300 + 37 * listing) + R"(, "rateWindow": "60s")"},
    };
    const std::string gpu_fields[kKinds] = {
        R"("value": 48, "maxValue": "64", "usage": )" + std::to_string(in_use[0]),
        R"("value": "16", "max_value": "32", "usage": )" + std::to_string(in_use[1]),
        R"("value": 24, "maxValue": 24, "usage": ")" + std::to_string(in_use[2]) + "\"",
    };
    for (unsigned k = 0; k < kKinds; ++k)
        quotas.emplace_back(accelerator_family(kAccelerators[k]) + "-" + region_slug(kRegions[k]), gpu_fields[k]);
    quotas.emplace_back("h100-us-iowa-1", R"("value": "8", "maxValue": "8", "usage": 0)"); // a quota nothing uses
    quotas.emplace_back("training-h100-count", R"("value": "16", "maxValue": "16", "usage": 8)"); // can be stuck: nothing trains here
    quotas.emplace_back("batch-inference-jobs", R"("value": "20", "maxValue": "50", "usage": 2)");

    const int asked = std::atoi(query_param(query, "pageSize").c_str()); // none or 0: the server's page
    const std::size_t page = asked > 0 ? std::min<std::size_t>(page_size, static_cast<std::size_t>(asked)) : page_size;
    const std::string updated = utc_time(std::time(nullptr) - 120);
    std::string items;
    for (std::size_t i = offset; i < quotas.size() && i < offset + page; ++i) {
        if (!items.empty())
            items += ", ";
        items += R"({"name": "accounts/)" + account + "/quotas/" + quotas[i].first + R"(", )" + quotas[i].second +
                 R"(, "updateTime": )" + json_quote(updated) + "}";
    }
    std::string body = R"({"quotas": [)" + items + "]";
    if (offset + page < quotas.size())
        body += R"(, "nextPageToken": "q+)" + std::to_string(offset + page) + "\"";
    return json_reply(body + R"(, "totalSize": )" + std::to_string(quotas.size()) + "}");
}

} // namespace fwm::test
