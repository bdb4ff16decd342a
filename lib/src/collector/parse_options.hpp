// Reads the JSON parse options of fwm_parse and fwm_client_collect.
#pragma once

#include <string>

#include <optional>

#include "mapping/options.hpp"
#include "parser/parser.hpp"

namespace fwm::collector {

struct ParseRequest {
    parser::ParseOptions parse;
    bool samples = false;
    std::optional<mapping::MappingOptions> mapping; // build the submissions buffer
};

// Throws OptionError naming the option when something is wrong.
ParseRequest read_parse_options(const char* json);

} // namespace fwm::collector
