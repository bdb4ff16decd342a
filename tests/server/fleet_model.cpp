#include "fleet_model.hpp"

#include <cctype>

namespace fwm::test {

std::vector<FleetDeployment> fleet_at(std::vector<std::pair<std::string, std::string>> metrics, unsigned step)
{
    if (step == 2 || step == 3)
        metrics.emplace_back("canary", "accounts/fireworks/models/deepseek-v3"); // created at step 2, gone at 4
    std::vector<FleetDeployment> fleet;
    for (std::size_t i = 0; i < metrics.size(); ++i) {
        FleetDeployment d;
        d.id = metrics[i].first;
        d.model = metrics[i].second;
        d.index = i;
        d.kind = static_cast<unsigned>(i % kKinds);
        if (i == 0) { // scales 1 -> 2 -> 3 -> 1, the replicas one step behind
            d.desired = 1 + step % 3;
            d.replicas = step ? 1 + (step - 1) % 3 : 1;
        } else if (i == 1 && step == 2) { // fails at the third listing, recovers at the fourth
            d.failed = true;
            d.replicas = 0;
        }
        fleet.push_back(std::move(d));
    }
    return fleet;
}

std::string accelerator_family(const std::string& accelerator_type)
{
    // The vendor's model part: NVIDIA_H100_80GB -> h100, AMD_MI300X_192GB -> mi300x.
    const std::size_t a = accelerator_type.find('_');
    const std::size_t b = a == std::string::npos ? a : accelerator_type.find('_', a + 1);
    std::string out = a == std::string::npos ? accelerator_type : accelerator_type.substr(a + 1, b - a - 1);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string region_slug(const std::string& region)
{
    std::string out = region;
    for (char& c : out)
        c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace fwm::test
