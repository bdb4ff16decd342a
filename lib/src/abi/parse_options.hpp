// Reads the JSON options of fwm_parse into ParseOptions.
#pragma once

#include <string>

#include "parser/parser.hpp"

namespace fwm::abi {

struct ParseRequest {
    parser::ParseOptions parse;
    bool samples = false;
};

// Throws OptionError naming the option when something is wrong.
ParseRequest read_parse_options(const char* json);

} // namespace fwm::abi
