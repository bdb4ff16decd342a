// Says what a JSON value is, for messages such as "must be a string, not a number".
#pragma once

#include <rapidjson/document.h>

namespace fwm::util {

inline const char* json_kind(const rapidjson::Value& v)
{
    if (v.IsNull()) return "null";
    if (v.IsBool()) return "a boolean";
    if (v.IsNumber()) return "a number";
    if (v.IsString()) return "a string";
    if (v.IsArray()) return "a list";
    return "a mapping";
}

} // namespace fwm::util
