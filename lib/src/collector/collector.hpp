// One check instance, the pipeline the C ABI exposes: the HTTP client, the
// mapper that carries state between runs, and the lock that serialises
// their use. Configuration is parsed once, here.
//
// collect() scrapes, parses, maps and renders the buffers fwm.h documents;
// cancel() interrupts it from any thread. After fork() the child rebuilds
// the client and the mapper on first use, never touching what belongs to
// the parent's threads.
#pragma once

#include "util/platform.hpp"


#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/parse_options.hpp"
#include "collector/submissions.hpp"
#include "fleet/options.hpp"
#include "http/config.hpp"
#include "mapping/options.hpp"

namespace fwm::http {
struct Collected;
}
namespace fwm::parser {
struct ParseResult;
}

namespace fwm::collector {

struct MappingFacts;

// What one parse or collection hands over: the fwm_result's contents.
struct Result {
    int status = 0;          // an fwm_status
    std::string message;     // clean text; "" on success
    std::string summary; // JSON object: the parse, the collection and the mapping facts
    std::string samples; // JSON lines, when asked for
    std::unique_ptr<Submissions> submissions; // when mapped
    std::string batch;                // the last batch handed out (fwm_result_next_batch)
    std::vector<double> batch_values; // and its numbers
};

class Collector {
public:
    // Throws util::OptionError naming the option.
    explicit Collector(const char* config_json);
    ~Collector();
    Collector(const Collector&) = delete;
    Collector& operator=(const Collector&) = delete;

    // Never longer than the client's timeout plus its report margin, plus
    // the time to inflate, parse and map what came. Never throws: every
    // failure is a status with a message.
    Result collect(const char* options_json) noexcept;

    // Thread safe, returns at once; later collect() calls end CANCELLED.
    void cancel() noexcept;

    const http::ClientConfig& client_config() const { return client_config_; }

private:
    struct Generation;
    struct FleetPart;
    Generation& current();

    // The steps of collect(): the fleet's snapshot (the first run waits for
    // the first refresh), and the answer parsed and mapped into `r`.
    FleetPart fleet_part(Generation& g, std::chrono::steady_clock::time_point started);
    std::optional<MappingFacts> map_answer(Generation& g, const ParseRequest& request, http::Collected& got,
                                           parser::ParseResult& parsed, Result& r);

    http::ClientConfig client_config_;
    mapping::MappingOptions mapping_options_;
    fleet::FleetOptions fleet_options_;
    std::atomic<bool> cancelled_{false};
    std::atomic<Generation*> generation_{nullptr};
};

// fwm_parse: one payload parsed (and mapped as a first run), no network.
Result parse_once(std::string_view data, const char* options_json) noexcept;

} // namespace fwm::collector
