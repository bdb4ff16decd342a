// A Fireworks-like REST API for the local endpoint: ListDeployments (paged)
// and billingUsage, from the documented shapes, with a fleet that changes
// on every listing: the first deployment scales, the second fails at the
// third listing and recovers at the fourth, a canary comes at the third and
// goes at the fifth. Usage grows on every
// reading. For the demo and the Python tests.
#pragma once

#include <functional>
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

    FleetApi(std::string account, Source source, unsigned page_size);

    // The answer for a REST path, or nothing when `req` is not one.
    std::optional<Reply> answer(const RequestRecord& req);

private:
    Reply deployments(const std::string& query);
    Reply usage(const std::string& query);

    std::string account_;
    Source source_;
    unsigned page_size_;
    std::mutex mutex_;
    unsigned listings_ = 0; // first pages served: the fleet's step
    unsigned readings_ = 0; // usage answers served
};

// The (deployment_id, base_model) pairs of a Prometheus payload.
std::vector<std::pair<std::string, std::string>> deployments_in(const std::string& payload);

} // namespace fwm::test
