// Tags joined onto every metric of a deployment from elsewhere (the
// deployments inventory), by the value of its deployment_id tag. A joined
// tag whose name the series already carries is left out: labels win.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

namespace fwm::mapping {

using JoinedTags = std::unordered_map<std::string, std::vector<std::string>>; // deployment_id -> "name:value"

} // namespace fwm::mapping
