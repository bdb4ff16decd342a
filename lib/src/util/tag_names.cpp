#include "util/tag_names.hpp"

#include <algorithm>
#include <iterator>

namespace fwm::util {

bool tag_name(std::string_view s) noexcept
{
    if (s.empty() || s.size() > 100 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' || c == '/';
    });
}

bool reserved_tag(std::string_view name) noexcept
{
    static constexpr std::string_view kReserved[] = {
        "env", "service", "version", "host", "device", "source", "deployment_id", "deployment", "deployment_account",
        "base_model", "model", "http_code", "fireworks_account",
        // the Agent's other generic tags (datadog_checks.base.utils.tagging)
        "cluster", "cluster_name", "hostname", "host_name",
        // the inventory's own tags
        "accelerator_type", "region", "deployment_name", "state", "price_source"};
    return std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved);
}

} // namespace fwm::util
