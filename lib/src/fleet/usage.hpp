// GET /v1/accounts/{account}/billingUsage for one UTC day, read from the
// documented shape (../shared/reference/fireworks-management-api.md A1):
// dedicated rows by deployment and accelerator type, serverless rows by
// model. Quantities come as strings (int64 over JSON) and are read exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "fleet/json_fields.hpp"

namespace fwm::fleet {

// How rows count. Fireworks sends one row per deployment and accelerator
// (or per model) and day, but an answer may repeat a row, or hold a day and
// an hour inside it; summing those counts the same seconds twice. So within
// one series (the same deployment, accelerator and usageType; or the same
// model and usageType, as text and audio are apart):
//  * rows alike in startTime, endTime and quantities count once (the first
//    in the answer); each repeat is a problem;
//  * rows whose [startTime, endTime) windows overlap are not summed: the row
//    with the widest window counts (it covers the others), of equal widths
//    the first in the answer; each row set aside is a problem. Rows are
//    taken widest first, so two rows that do not overlap each other both
//    count even when a third, narrower one overlaps both;
//  * rows without both times (or whose endTime is not after startTime)
//    cannot be checked for overlaps: they count, once each.
// Rows set aside by these rules are counted in `skipped`.
struct Usage {
    // (deployment_id, accelerator_type) -> accelerator-seconds
    std::map<std::pair<std::string, std::string>, double> accelerator_seconds;
    // model -> tokens
    std::map<std::string, std::uint64_t> prompt_tokens, completion_tokens;
    std::size_t rows = 0;            // rows read
    std::size_t skipped = 0;         // rows outside the day, not objects, without their key or set aside
    Problems problems;
};

struct UsageLimits {
    std::size_t max_rows = 100000;
    std::size_t max_text_bytes = 200;
};

// Sums the rows whose startTime lies in [day_start, day_end) (rows without
// a readable startTime are counted: the request asked for that day only).
// Throws std::runtime_error naming what is wrong when the answer is not a
// JSON object or a costs member is not a list. The answer is read one row
// at a time (read_answer), so memory is the body plus what is kept.
Usage parse_usage(std::string_view json, double day_start, double day_end, const UsageLimits& limits = {});

} // namespace fwm::fleet
