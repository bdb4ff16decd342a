// Tags joined onto every metric of a deployment from elsewhere (the
// deployments inventory), by the value of its deployment_id tag, and the one
// rule for which tag wins, used on the metrics and on the fleet data alike.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fwm::mapping {

using JoinedTags = std::unordered_map<std::string, std::vector<std::string>>; // deployment_id -> "name:value"

// Appends each of `joined` whose name none of the first `own` of `tags` has:
// a series' labels (with the model tag) and the instance's tags win over
// the inventory's. Every tag is "name:value".
inline void join_tags(std::vector<std::string_view>& tags, std::size_t own, const std::vector<std::string>& joined)
{
    for (const std::string& t : joined) {
        const std::string_view name = std::string_view(t).substr(0, t.find(':') + 1); // "name:"
        if (std::none_of(tags.begin(), tags.begin() + static_cast<std::ptrdiff_t>(own),
                         [&](std::string_view x) { return x.substr(0, name.size()) == name; }))
            tags.emplace_back(t);
    }
}

} // namespace fwm::mapping
