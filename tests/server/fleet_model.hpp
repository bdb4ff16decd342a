// What the test endpoint's fleet looks like at a listing step, shared by the
// deployments API and the answers derived from it (quotas, billing, the
// termination message): the deployments of the metrics served, each given
// an accelerator and region by its position; the first scales 1 -> 2 -> 3
// -> 1 with its replicas one step behind, the second fails at step 2 and
// recovers at step 3, a canary is there at steps 2 and 3.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace fwm::test {

// The hardware a deployment at position i gets: kind i % 3.
inline constexpr unsigned kKinds = 3;
inline constexpr const char* kAccelerators[kKinds] = {"NVIDIA_H100_80GB", "NVIDIA_A100_80GB", "AMD_MI300X_192GB"};
inline constexpr unsigned kAcceleratorCounts[kKinds] = {8, 4, 8};
inline constexpr const char* kRegions[kKinds] = {"US_VIRGINIA_1", "EU_FRANKFURT_1", "US_IOWA_1"};

struct FleetDeployment {
    std::string id, model;
    std::size_t index = 0; // position in the listing
    unsigned kind = 0;     // index into kAccelerators, kAcceleratorCounts, kRegions
    unsigned desired = 2, replicas = 2;
    bool failed = false;
};

// `metrics` holds (deployment_id, base_model) of the deployments the metrics show.
std::vector<FleetDeployment> fleet_at(std::vector<std::pair<std::string, std::string>> metrics, unsigned step);

// Quota id parts as Fireworks names GPU quotas (h100-us-iowa-1):
// NVIDIA_H100_80GB -> h100, US_IOWA_1 -> us-iowa-1.
std::string accelerator_family(const std::string& accelerator_type);
std::string region_slug(const std::string& region);

} // namespace fwm::test
