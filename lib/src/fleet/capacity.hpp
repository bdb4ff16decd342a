// What can stop an account's deployments: the account's state
// (GET /v1/accounts/{id}) and its quotas (GET /v1/accounts/{id}/quotas,
// paged), read tolerantly from the documented shapes
// (../shared/reference/fireworks-management-api.md A4, A5): int64 values as
// strings or numbers, camelCase or snake_case, unknown ids and fields kept
// or ignored, never guessed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleet/json_fields.hpp"

namespace fwm::fleet {

struct AccountInfo {
    std::string state;          // STATE_UNSPECIFIED, CREATING, READY, UPDATING, DELETING
    std::string suspend_state;  // UNSUSPENDED, FAILED_PAYMENTS, CREDIT_DEPLETED, ...
    std::string status_code;    // status.code (google.rpc)
    std::string status_message;
    std::string display_name;
    std::string account_type;
    Problems problems;
};

struct Quota {
    std::string id;                     // the last segment of `name`
    std::optional<double> limit;        // value: the limit enforced
    std::optional<double> max_approved; // maxValue
    std::optional<double> usage;
    std::optional<double> update_time;  // seconds since the epoch
};

struct QuotasPage {
    std::vector<Quota> quotas;
    std::string next_page_token;
    std::size_t skipped = 0;
    Problems problems;
};

// Throws std::runtime_error naming what is wrong when the answer is not a
// JSON object.
AccountInfo parse_account(std::string_view json);
QuotasPage parse_quotas_page(std::string_view json, std::size_t max_quotas = 1000);

// True when an account in this suspend state is suspended (anything but
// UNSUSPENDED and the unspecified states).
bool suspended(std::string_view suspend_state) noexcept;

// A value at or past this, or below 0, means "unlimited" (a client sees
// monthly-spend-usd at 9999999 on accounts without a limit).
constexpr double kUnlimitedQuota = 9999999;
bool unlimited(double limit) noexcept;

// A GPU quota's id, "<accelerator>-<region>" ("h100-us-iowa-1"): the
// accelerator ("h100") and the region ("us-iowa-1"); nothing for other ids
// ("monthly-spend-usd", "training-h100-count").
std::optional<std::pair<std::string, std::string>> gpu_quota(std::string_view id);
// The quota names of a deployment's accelerator type and region, as
// inferred (UNVERIFIED): NVIDIA_H100_80GB -> "h100", AMD_MI300X_192GB ->
// "mi300x"; US_IOWA_1 -> "us-iowa-1". "" when the name is not of that form.
std::string accelerator_family(std::string_view accelerator_type);
std::string region_slug(std::string_view region);

// The quota that is the monthly spend limit, in US dollars.
constexpr std::string_view kSpendQuota = "monthly-spend-usd";

// Spend projected to the end of the UTC month holding `now`, linear from
// the month so far; nothing in the month's first 24 hours (too little to
// project from, and the usage may not have been reset yet).
std::optional<double> projected_month_end(double month_to_date, double now);
// "YYYY-MM" of the UTC month holding `now`.
std::string utc_month(double now);

} // namespace fwm::fleet
