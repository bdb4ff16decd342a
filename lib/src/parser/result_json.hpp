// Renders a ParseResult as the JSON buffers fwm.h documents: the summary
// object and the samples as JSON lines.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>

#include "parser/parser.hpp"
#include "util/json_sink.hpp"

namespace fwm::parser {

// A member of the summary that another part of the library knows how to
// write: its name ("collection", "mapping", "fleet") and what writes its
// value, with the summary's own writer.
struct SummaryPart {
    const char* name;
    std::function<void(util::JsonWriter&)> write;
};

// The summary object: the parse's facts, then each part as a member of the
// same object, in order, by one writer.
std::string summary_json(const ParseResult& r, std::initializer_list<SummaryPart> parts = {});
std::string samples_json_lines(const ParseResult& r);

} // namespace fwm::parser
