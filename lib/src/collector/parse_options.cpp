#include "collector/parse_options.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "util/option_error.hpp"
#include "util/json_kind.hpp"

namespace fwm::collector {
namespace {


[[noreturn]] void wrong(const std::string& name, const char* expected, const rapidjson::Value& got)
{
    throw util::OptionError("option '" + name + "' must be " + expected + ", not " + util::json_kind(got));
}

} // namespace

ParseRequest read_parse_options(const char* json)
{
    ParseRequest out;
    if (json == nullptr || *json == '\0')
        return out;
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(json); // iterative: no nesting depth can exhaust the stack
    if (doc.HasParseError())
        throw util::OptionError(std::string("options are not valid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                          " at offset " + std::to_string(doc.GetErrorOffset()));
    if (!doc.IsObject())
        throw util::OptionError("options must be a JSON object");
    for (rapidjson::SizeType i = 0; i < doc.MemberCount(); ++i) {
        const auto& m = *(doc.MemberBegin() + i);
        const std::string name(m.name.GetString(), m.name.GetStringLength());
        const auto& v = m.value;
        if (name == "format") {
            if (!v.IsString())
                wrong(name, "a string", v);
            const std::string f(v.GetString(), v.GetStringLength());
            if (f == "auto")
                out.parse.format = parser::Format::automatic;
            else if (f == "prometheus")
                out.parse.format = parser::Format::prometheus;
            else if (f == "openmetrics")
                out.parse.format = parser::Format::openmetrics;
            else
                throw util::OptionError("option 'format' must be \"auto\", \"prometheus\" or \"openmetrics\", not \"" +
                                  util::clean_text(f, 32) + "\"");
        } else if (name == "samples") {
            if (!v.IsBool())
                wrong(name, "a boolean", v);
            out.samples = v.GetBool();
        } else if (name == "max_errors") {
            if (!v.IsUint() || v.GetUint() > 10000)
                throw util::OptionError("option 'max_errors' must be an integer from 0 to 10000");
            out.parse.max_errors = v.GetUint();
        } else if (name == "mapping") {
            out.mapping = mapping::read_mapping_options(&v);
        } else if (name == "reject_duplicate_series") {
            if (!v.IsBool())
                wrong(name, "a boolean", v);
            out.parse.reject_duplicate_series = v.GetBool();
        } else {
            throw util::OptionError("unknown option '" + util::clean_text(name, 64) + "'");
        }
    }
    return out;
}

} // namespace fwm::collector
