// One page of GET /v1/accounts/{account}/deployments, read from the
// documented shape (../shared/reference/fireworks-management-api.md A2):
// missing fields are absent, unknown ones ignored, wrong ones noted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleet/json_fields.hpp"

namespace fwm::fleet {

struct Deployment {
    std::string id;               // the last segment of `name`: the metrics' deployment_id
    std::string display_name;     // displayName
    std::string state;            // READY, CREATING, UPDATING, FAILED, DELETING, DELETED, ...
    std::string status_code;      // status.code
    std::string status_message;   // status.message
    std::string accelerator_type; // acceleratorType
    std::string region;           // region, else placement (region, multiRegion or regions joined by '+')
    std::string base_model;       // baseModel
    std::vector<std::pair<std::string, std::string>> annotations; // sorted by key
    std::optional<std::uint64_t> replicas, desired_replicas, min_replicas, max_replicas, accelerator_count;
    std::optional<std::uint64_t> ready_replicas, pending_scheduling_replicas, downloading_model_replicas,
        initializing_replicas;
    std::optional<double> create_time; // seconds since the epoch
    // Why it failed (GET .../deployments/{id}/terminationMessage, read once
    // when it is first seen FAILED; "" when none was given).
    std::string termination_message;
};

struct DeploymentsPage {
    std::vector<Deployment> deployments;
    std::string next_page_token; // "" on the last page
    std::size_t skipped = 0;     // entries that were not objects or had no usable name
    Problems problems;
};

// Limits on what one page may bring; more is skipped and noted.
struct PageLimits {
    std::size_t max_deployments = 1000;    // per page (the API gives at most 200)
    std::size_t max_annotations = 32;      // per deployment
    std::size_t max_text_bytes = 200;      // per string kept (Datadog's tag length)
    std::size_t max_message_bytes = 500;   // status.message
    std::size_t max_page_token_bytes = 4096;
};

// Throws std::runtime_error naming what is wrong when the answer is not a
// JSON object, `deployments` is present and not a list, or nextPageToken is
// not a usable page token. The answer is read one deployment at a time
// (read_answer), so memory stays the body plus one page's results.
DeploymentsPage parse_deployments_page(std::string_view json, const PageLimits& limits = {});

// The `message` of GET .../deployments/{id}/terminationMessage (clean text,
// at most max_bytes; "" when absent). Throws std::runtime_error when the
// answer is not a JSON object.
std::string parse_termination_message(std::string_view json, std::size_t max_bytes = 500);

} // namespace fwm::fleet
