// Renders a ParseResult as the JSON buffers fwm.h documents.
#pragma once

#include <string>

#include "http/client.hpp"
#include "parser/parser.hpp"

namespace fwm::abi {

// `info` adds the "collection" member of fwm_client_collect results.
std::string summary_json(const parser::ParseResult& r, const http::CollectInfo* info = nullptr);
std::string samples_json_lines(const parser::ParseResult& r);

} // namespace fwm::abi
