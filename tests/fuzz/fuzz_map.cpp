// libFuzzer target for the mapping: any payload the parser accepts, mapped
// twice (a first run and a later one), must give a well-formed submissions
// buffer whose distribution buckets are whole, positive and ordered.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "mapping/mapper.hpp"
#include "parser/parser.hpp"

namespace {

void require(bool ok)
{
    if (!ok)
        std::abort();
}

void check(const std::string& json)
{
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseNanAndInfFlag>(json.c_str());
    require(!doc.HasParseError() && doc.IsArray());
    for (const auto& group : doc.GetArray()) {
        require(group["tags"].IsArray());
        for (const auto& g : group["gauges"].GetArray())
            require(g[1].IsNumber() && std::isfinite(g[1].GetDouble()));
        if (group.HasMember("counts"))
            for (const auto& c : group["counts"].GetArray())
                require(c[1].GetDouble() >= 0 && c[1].GetDouble() == std::floor(c[1].GetDouble()));
        if (group.HasMember("buckets"))
            for (const auto& b : group["buckets"].GetArray()) {
                const double count = b[1].GetDouble(), lower = b[2].GetDouble(), upper = b[3].GetDouble();
                require(count >= 1 && count == std::floor(count));
                require(lower <= upper);
            }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = fwm::parser::parse(text);
    fwm::mapping::MappingOptions options;
    options.rates_as_counts = true;
    options.quantiles = {0.0, 0.5, 0.999, 1.0};
    options.tags = {"env:fuzz"};
    fwm::mapping::Mapper mapper(options);
    for (double now : {100.0, 117.5}) {
        std::string out;
        mapper.map(parsed, now, out);
        check(out);
    }
    return 0;
}
