// A Fireworks-like REST API for the local endpoint, from the documented
// shapes, for the demo and the Python tests: ListDeployments (paged) and
// billingUsage over the fleet of fleet_model.hpp, which steps on every
// listing; the deployment that fails has a termination message; the account
// and its quotas (account_api.hpp); usageCosts:query and billing/summary
// (cost_api.hpp). Usage, spend and dollars grow on every reading. Any other
// path under the account but its metrics answers 404.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "test_server.hpp"

namespace fwm::test {

class FleetApi {
public:
    // (deployment_id, base_model) of the deployments the metrics show now.
    using Source = std::function<std::vector<std::pair<std::string, std::string>>()>;

    // costs_self_only: usageCosts:query refuses scope ACCOUNT with 403, as
    // for a key that is not an account administrator.
    // suspend_state: the account's at every reading (else suspended once, at its third).
    FleetApi(std::string account, Source source, unsigned page_size, bool costs_self_only = false,
             std::string suspend_state = "");

    // The answer for a REST path of the account, or nothing when `req` is
    // not one (the metrics, another account, another path).
    std::optional<Reply> answer(const RequestRecord& req);

    // Whether `target` is a REST path of any account, not its metrics.
    static bool rest_target(const std::string& target);

private:
    Reply deployments(const std::string& query);
    Reply usage(const std::string& query);
    Reply termination_message(const std::string& id);
    unsigned step() const; // the fleet's step now: the last listing's

    std::string account_;
    Source source_;
    unsigned page_size_;
    bool costs_self_only_;
    std::string suspend_state_;
    std::mutex mutex_;
    unsigned listings_ = 0;         // first pages served: the fleet's step
    unsigned readings_ = 0;         // usage answers served
    unsigned account_readings_ = 0; // account answers served
    unsigned quota_listings_ = 0;   // first quota pages served
    unsigned billing_readings_ = 0; // billing summaries served
    std::map<std::string, unsigned> cost_readings_; // usageCosts first pages per grouping
};

// The (deployment_id, base_model) pairs of a Prometheus payload.
std::vector<std::pair<std::string, std::string>> deployments_in(const std::string& payload);

} // namespace fwm::test
