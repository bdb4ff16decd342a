// Renders a ParseResult as the JSON buffers fwm.h documents: the summary
// object and the samples as JSON lines.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "parser/parser.hpp"

namespace fwm::parser {

// A part of the summary that its own writer made (a JSON value, written as
// it is): {"collection", ...}, {"mapping", ...}, {"fleet", ...}.
using SummaryPart = std::pair<const char*, std::string_view>;

// The summary object: the parse's facts, then each part as a member of the
// same object, in order, by one writer.
std::string summary_json(const ParseResult& r, std::initializer_list<SummaryPart> parts = {});
std::string samples_json_lines(const ParseResult& r);

} // namespace fwm::parser
