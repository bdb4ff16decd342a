// Renders a ParseResult as the JSON buffers fwm.h documents: the summary
// object and the samples as JSON lines.
#pragma once

#include <string>
#include <string_view>

#include "parser/parser.hpp"

namespace fwm::parser {

// `collection` (a JSON object, see fwm_client_collect) becomes the
// summary's "collection" member when not empty.
std::string summary_json(const ParseResult& r, std::string_view collection = {});
std::string samples_json_lines(const ParseResult& r);

} // namespace fwm::parser
