// The C ABI as the Python shim drives it, for the torture suites: results
// read whole, configs pointing at the local test server, and the checks
// every outcome must pass (a known status, clean text, parseable JSON, no
// key).
#pragma once

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "fwm/fwm.h"

namespace fwm::test {

inline constexpr const char* kTortureKey = "fw-SECRET-3b9e1c77d2a4-torture";

// An fwm_result read out and freed.
struct Outcome {
    fwm_status status = FWM_OK;
    bool has_result = false;
    std::string message, summary, samples, submissions; // submissions: every batch's structure, as a JSON array
    std::vector<double> values;                         // and every batch's values
    double seconds = 0;
};

Outcome collect(fwm_client* client);
Outcome parse(const std::string& payload, const std::string& options_json);

// A client config for `url` (the test CA trusted), as JSON.
std::string abi_config(const std::string& url, double timeout_s, const std::string& account,
                       const std::string& extra = "");

// What is wrong with an outcome ("" when nothing): a known status, clean
// text, JSON that parses, no key. Safe from any thread (Boost.Test's
// assertions are not).
std::string problems(const Outcome& o);

// Asserts problems(o) is empty; main thread only.
void check_sane(const Outcome& o);

// The JSON parses and every string in it is valid UTF-8.
bool valid_json(const std::string& json);

} // namespace fwm::test
