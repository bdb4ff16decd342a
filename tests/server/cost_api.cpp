#include "cost_api.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <set>
#include <vector>

#include <rapidjson/document.h>

#include "fleet_model.hpp"
#include "rest_json.hpp"

namespace fwm::test {

namespace {

// Today's dollars per reading, in nanos: by model and by API key the same
// total (5.495 USD a reading). The SELF principal is key-2 (users/bob).
struct Share {
    const char* model;   // MODEL rows
    const char* key;     // API_KEY rows
    const char* user;    // "" for a key of no user
    long long account;   // nanos per reading, ACCOUNT scope
    long long self;      // nanos per reading, SELF scope
};
const Share kModels[] = {
    {"accounts/fireworks/models/kimi-k2-instruct", "", "", 4120000000LL, 1440000000LL},
    {"accounts/fireworks/models/llama-v3p1-8b-instruct", "", "", 1375000000LL, 480000000LL},
};
const Share kKeys[] = {
    {"", "key-1", "users/alice", 3100000000LL, 0},
    {"", "key-2", "users/bob", 1920000000LL, 1920000000LL},
    {"", "key-ci", "", 475000000LL, 0},
};

// Prices per accelerator-hour by kind, and per million tokens by model.
const long long kAcceleratorPrice[kKinds] = {5800000000LL, 2900000000LL, 4990000000LL};
const long long kTokenPrice[] = {600000000LL, 200000000LL};

std::string string_member(const rapidjson::Value& v, const char* name)
{
    const auto it = v.FindMember(name);
    return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

} // namespace

Reply usage_costs_reply(const RequestRecord& req, std::map<std::string, unsigned>& readings, unsigned page_size,
                        bool self_only)
{
    rapidjson::Document doc;
    if (doc.Parse(req.body.c_str()).HasParseError() || !doc.IsObject())
        return error_reply(400, 3, "the request body is not a JSON object");
    const rapidjson::Value& request = doc; // const iterators: C++20 finds RapidJSON's mixed != ambiguous
    const std::string scope = string_member(request, "scope"), start = string_member(request, "startTime");
    if (scope != "ACCOUNT" && scope != "SELF")
        return error_reply(400, 3, "scope must be ACCOUNT or SELF");
    if (start.size() < 10 || string_member(request, "endTime").empty())
        return error_reply(400, 3, "start_time and end_time are required");
    std::vector<std::string> group_by;
    if (const auto g = request.FindMember("groupBy"); g != request.MemberEnd() && g->value.IsArray())
        for (const auto& d : g->value.GetArray())
            group_by.push_back(d.IsString() ? d.GetString() : "?");
    const std::set<std::string> dims(group_by.begin(), group_by.end());
    if (group_by.empty() || group_by.size() > 2 || dims.size() != group_by.size())
        return error_reply(400, 3, "group_by takes one or two distinct dimensions");
    for (const std::string& d : dims)
        if (d != "HOUR" && d != "DAY" && d != "MODEL" && d != "API_KEY")
            return error_reply(400, 3, "group_by: unsupported dimension " + d);
    if (dims.count("HOUR") && dims.count("DAY"))
        return error_reply(400, 3, "group_by: HOUR and DAY exclude each other");
    if (dims.count("MODEL") && dims.count("API_KEY"))
        return error_reply(400, 3, "group_by: this endpoint serves MODEL or API_KEY, not both");
    if (scope == "ACCOUNT" && self_only)
        return error_reply(403, 7, "ACCOUNT scope requires an account administrator; use SELF");

    std::size_t offset = 0;
    std::string token;
    if (const auto t = request.FindMember("pageToken"); t != request.MemberEnd() && t->value.IsString())
        token = t->value.GetString();
    if (!token.empty()) {
        if (token.rfind("c+", 0) != 0 || token.size() < 3 || token.find_first_not_of("0123456789", 2) != std::string::npos)
            return error_reply(400, 3, "invalid page token");
        offset = std::stoul(token.substr(2));
    }
    std::string grouping;
    for (const std::string& d : group_by)
        grouping += (grouping.empty() ? "" : ",") + d;
    unsigned& n = readings[grouping];
    if (token.empty() || n == 0)
        ++n;

    // The rows of the grouping, each with its amount in nanos.
    const bool self = scope == "SELF";
    std::vector<std::pair<std::string, long long>> rows;
    const std::string when = dims.count("DAY") || dims.count("HOUR")
                                 ? R"("startTime": ")" + start.substr(0, 10) + R"(T00:00:00Z")"
                                 : "";
    const auto dims_of = [&](std::string more) {
        return R"({"dimensions": {)" + when + (when.empty() || more.empty() ? "" : ", ") + more + "}";
    };
    if (dims.count("MODEL")) {
        for (const Share& s : kModels)
            rows.emplace_back(dims_of(R"("model": ")" + std::string(s.model) + "\""), (self ? s.self : s.account) * n);
    } else if (dims.count("API_KEY")) {
        for (const Share& s : kKeys)
            if (!self || s.self)
                rows.emplace_back(dims_of(R"("apiKeyId": ")" + std::string(s.key) + "\"" +
                                          (*s.user ? R"(, "user": ")" + std::string(s.user) + "\"" : "")),
                                  (self ? s.self : s.account) * n);
    } else {
        long long all = 0;
        for (const Share& s : kModels)
            all += self ? s.self : s.account;
        rows.emplace_back(dims_of(""), all * n);
    }
    long long total = 0;
    for (const auto& r : rows)
        total += r.second;

    int asked = 0;
    if (const auto p = request.FindMember("pageSize"); p != request.MemberEnd() && p->value.IsInt())
        asked = p->value.GetInt();
    const std::size_t page = asked > 0 ? std::min<std::size_t>(page_size, static_cast<std::size_t>(asked)) : page_size;
    std::string items;
    for (std::size_t i = offset; i < rows.size() && i < offset + page; ++i) // units: strings and numbers alternate
        items += (items.empty() ? "" : ", ") + rows[i].first + R"(, "subtotal": )" + money(rows[i].second, i % 2 == 0) + "}";
    std::string body = R"({"rows": [)" + items + R"(], "subtotal": )" + money(total, true);
    if (offset + page < rows.size())
        body += R"(, "nextPageToken": "c+)" + std::to_string(offset + page) + "\"";
    // Rated a few minutes behind; the first reading not yet fully attributed.
    const std::time_t now = std::time(nullptr);
    body += R"(, "evaluationTime": ")" + utc_time(now - 420, 250) + R"(", "attributionCompleteness": ")" +
            (n == 1 ? "INCOMPLETE" : "COMPLETE") + "\"}";
    return json_reply(body);
}

Reply billing_summary_reply(const std::string& query, unsigned reading)
{
    if (query_param(query, "startTime").empty() || query_param(query, "endTime").empty())
        return error_reply(400, 3, "start_time and end_time are required");
    const auto line = [](const std::string& category, const std::string& key, const std::string& value,
                         const std::string& secondary, double quantity, long long unit) {
        return R"({"category": ")" + category + R"(", "groupingKey": ")" + key + R"(", "groupingValue": ")" + value +
               "\", " + secondary + R"("quantity": )" + json_number(quantity) + R"(, "unitAmount": )" +
               money(unit, true) + R"(, "totalCost": )" + money(std::llround(quantity * static_cast<double>(unit)), true) + "}";
    };
    std::string items;
    for (unsigned k = 0; k < kKinds; ++k) // accelerator-hours this month, by accelerator type
        items += (items.empty() ? "" : ", ") +
                 line("dedicated", "accelerator_type", kAccelerators[k],
                      k == 0 ? R"("secondaryGroupingKey": "", "secondaryGroupingValue": "", )" : "",
                      kAcceleratorCounts[k] * (4.0 + 0.5 * reading), kAcceleratorPrice[k]);
    const char* models[] = {kModels[0].model, kModels[1].model};
    for (unsigned m = 0; m < 2; ++m) // millions of tokens
        items += ", " + line("serverless", "model", models[m],
                             R"("secondaryGroupingKey": "usage_type", "secondaryGroupingValue": "TEXT_COMPLETION_INFERENCE_USAGE", )",
                             18.5 * (m + 1) * reading, kTokenPrice[m]);
    // A training line priced by an accelerator no deployment uses, named in the secondary grouping.
    items += ", " + line("training", "job_type", "SUPERVISED_FINE_TUNING",
                         R"("secondaryGroupingKey": "accelerator_type", "secondaryGroupingValue": "NVIDIA_H200_141GB", )",
                         6.0, 7500000000LL);
    return json_reply(R"({"lineItems": [)" + items + "]}");
}

} // namespace fwm::test
