// The account and its quotas as the test endpoint answers them, from the
// shapes of Fireworks' GetAccount and ListQuotas: the account is suspended
// (CREDIT_DEPLETED) at its 3rd reading and active otherwise; the
// monthly spend climbs toward its limit listing after listing; the GPU
// quotas' usage follows the fleet's deployments as they scale and fail.
#pragma once

#include <string>
#include <vector>

#include "fleet_model.hpp"
#include "test_server.hpp"

namespace fwm::test {

// GET /v1/accounts/{account}, at its `reading`-th answer (from 1); in
// `suspend_state` at every reading when that is not empty.
Reply account_reply(const std::string& account, unsigned reading, const std::string& suspend_state = "");

// GET /v1/accounts/{account}/quotas: one page of at most `page_size` quotas
// (pageSize, pageToken in `query`) for the `listing`-th listing (from 1),
// the GPU quotas' usage counted from `fleet`.
Reply quotas_reply(const std::string& account, const std::vector<FleetDeployment>& fleet, unsigned listing,
                   const std::string& query, unsigned page_size);

} // namespace fwm::test
