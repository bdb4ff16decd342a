// Renders a ParseResult as the JSON buffers fwm.h documents.
#pragma once

#include <string>

#include "parser/parser.hpp"

namespace fwm::abi {

std::string summary_json(const parser::ParseResult& r);
std::string samples_json_lines(const parser::ParseResult& r);

} // namespace fwm::abi
