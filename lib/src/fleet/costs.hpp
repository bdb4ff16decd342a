// Dollars, read from the documented shapes
// (../shared/reference/fireworks-management-api.md A1b, A1c, A7): rated
// costs from POST /v1/accounts/{id}/usageCosts:query (per day and model, or
// per day and API key) and billed line items from GET
// /v1/accounts/{id}/billing/summary. Money is summed exactly (money.hpp),
// currencies are kept apart.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleet/json_fields.hpp"
#include "fleet/money.hpp"

namespace fwm::fleet {

struct RatedRow {
    std::string day;        // "YYYY-MM-DD" of dimensions.startTime, "" when absent
    std::string model, api_key_id, user;
    Money amount;
};

struct CostsPage {
    std::vector<RatedRow> rows;
    std::optional<Money> subtotal;       // the account-wide subtotal
    std::string next_page_token;
    std::optional<double> evaluation_time;
    std::string attribution_completeness; // COMPLETE, INCOMPLETE, UNKNOWN, ...
    std::size_t skipped = 0;
    Problems problems;
};

struct BillingLine {
    std::string category, grouping_key, grouping_value, secondary_grouping_key, secondary_grouping_value;
    std::optional<double> quantity;
    std::optional<Money> unit_amount;
    Money total;
};

struct BillingSummary {
    std::vector<BillingLine> lines;
    std::size_t skipped = 0;
    Problems problems;
};

// The body of one usageCosts query: scope ACCOUNT or SELF, groupBy DAY and
// `dimension` (MODEL or API_KEY), [start, end) as RFC 3339.
std::string costs_query(std::string_view scope, std::string_view dimension, std::string_view start,
                        std::string_view end, std::string_view page_token, unsigned page_size);

// Throw std::runtime_error naming what is wrong when the answer is not a
// JSON object or a list member is not a list.
CostsPage parse_costs_page(std::string_view json, std::size_t max_rows = 10000);
BillingSummary parse_billing_summary(std::string_view json, std::size_t max_lines = 10000);

// A price per accelerator-hour of each accelerator type that billing lines
// name (groupingValue or secondaryGroupingValue NVIDIA_..., AMD_...) with a
// unitAmount above 0, in that line's currency; the first line of a type wins.
struct Price {
    double per_hour = 0;
    std::string currency;
};
std::map<std::string, Price> prices_from_billing(const std::vector<BillingLine>& lines);

} // namespace fwm::fleet
