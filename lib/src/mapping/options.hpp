// The mapping options of a check instance, read from the "mapping" member
// of the client (or parse) options. Names follow the check's conf.yaml.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "mapping/pattern.hpp"
#include "options/table.hpp"

namespace fwm::mapping {

// The defaults are spec.yaml's.
struct MappingOptions {
    std::vector<double> quantiles = from(options::default_numbers("quantiles"));
    bool distributions = options::default_flag("histogram_buckets_as_distributions");
    bool rates_as_counts = options::default_flag("rates_as_counts");
    std::vector<Pattern> metrics;     // allow list; empty = everything
    std::vector<Pattern> exclude_metrics;
    std::vector<std::string> exclude_labels;
    // Fireworks label -> tag name (rename_labels), sorted by label.
    std::vector<std::pair<std::string, std::string>> rename_labels;
    std::vector<Pattern> deployments_include; // on deployment_id; empty = all
    std::vector<Pattern> deployments_exclude;
    std::vector<std::string> tags;    // the instance's tags, added to every submission
    // Tags the Agent adds to every submission itself (service:<name>): not
    // sent from here, but no series is told apart by one of them.
    std::vector<std::string> agent_tags;
    double min_collection_interval = options::default_number("min_collection_interval"); // the Agent's default
    std::string account_id;           // for the check-level tags

private:
    static std::vector<double> from(std::span<const double> s) { return {s.begin(), s.end()}; }
};

// Throws util::OptionError naming the option. `v` may be null (defaults).
MappingOptions read_mapping_options(const rapidjson::Value* v);

// "p50", "p95", "p99_9": the suffix of a quantile gauge; distinct for distinct q.
std::string quantile_suffix(double q);

} // namespace fwm::mapping
