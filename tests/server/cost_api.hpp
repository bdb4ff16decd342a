// Dollars as the test endpoint answers them, from the shapes of Fireworks'
// usageCosts:query (rated costs by model, user or API key, paged, with the
// account-wide subtotal, evaluationTime and attributionCompleteness) and
// billing/summary (line items by billing category, with a dedicated line
// per accelerator type). The amounts climb with each answer.
#pragma once

#include <map>
#include <string>

#include "test_server.hpp"

namespace fwm::test {

// POST /v1/accounts/{a}/usageCosts:query. `readings` counts the answered
// first pages per grouping (so the MODEL and API_KEY groupings of one
// refresh agree); with `self_only`, scope ACCOUNT is refused with 403, as
// for a key that is not an account administrator.
Reply usage_costs_reply(const RequestRecord& req, std::map<std::string, unsigned>& readings, unsigned page_size,
                        bool self_only);

// GET /v1/accounts/{a}/billing/summary, its `reading`-th answer (from 1).
Reply billing_summary_reply(const std::string& query, unsigned reading);

} // namespace fwm::test
