// The mapping options of a check instance, read from the "mapping" member
// of the client (or parse) options. Names follow the check's conf.yaml.
#pragma once

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "mapping/pattern.hpp"

namespace fwm::mapping {

struct MappingOptions {
    std::vector<double> quantiles{0.5, 0.9, 0.95, 0.99};
    bool distributions = true;        // histogram_buckets_as_distributions
    bool rates_as_counts = false;
    std::vector<Pattern> metrics;     // allow list; empty = everything
    std::vector<Pattern> exclude_metrics;
    std::vector<std::string> exclude_labels;
    std::vector<Pattern> deployments_include; // on deployment_id; empty = all
    std::vector<Pattern> deployments_exclude;
    std::vector<std::string> tags;    // the instance's tags, added to every submission
    // Tags the Agent adds to every submission itself (service:<name>): not
    // sent from here, but no series is told apart by one of them.
    std::vector<std::string> agent_tags;
    double min_collection_interval = 15; // the Agent's default interval
    std::string account_id;           // for the check-level tags
};

// Throws util::OptionError naming the option. `v` may be null (defaults).
MappingOptions read_mapping_options(const rapidjson::Value* v);

// "p50", "p95", "p99_9": the suffix of a quantile gauge; distinct for distinct q.
std::string quantile_suffix(double q);

} // namespace fwm::mapping
