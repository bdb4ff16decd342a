// libFuzzer target for the parser. Besides "no crash, no sanitizer report",
// it checks the invariants every result must hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "parser/result_json.hpp"
#include "parser/lex.hpp"
#include "parser/parser.hpp"

namespace {

void require(bool ok)
{
    if (!ok)
        std::abort();
}

void check(const fwm::parser::ParseResult& r, std::size_t size)
{
    std::uint32_t last_line = 0;
    require(r.errors.size() <= r.invalid_lines);
    require(r.samples.size() + r.invalid_lines <= r.lines + 1);
    for (const auto& s : r.samples) {
        require(s.line > last_line); // one sample per line, in order
        last_line = s.line;
        require(!s.name.empty());
        require(static_cast<std::size_t>(s.labels_begin) + s.labels_count <= r.labels.size());
        for (std::uint32_t i = 0; i < s.labels_count; ++i)
            require(fwm::parser::lex::valid_utf8(r.labels[s.labels_begin + i].value));
        if (s.exemplar != fwm::parser::kNoExemplar)
            require(s.exemplar < r.exemplars.size());
        if (s.family != fwm::parser::kNoFamily)
            require(s.family < r.families.size());
    }
    require(r.lines <= size + 1);
    for (const auto& e : r.errors)
        require(fwm::parser::lex::valid_utf8(e.reason));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (auto format : {fwm::parser::Format::automatic, fwm::parser::Format::openmetrics}) {
        fwm::parser::ParseOptions options;
        options.format = format;
        const auto r = fwm::parser::parse(text, options);
        check(r, size);
        (void)fwm::parser::samples_json_lines(r);
        (void)fwm::parser::summary_json(r);
    }
    return 0;
}
