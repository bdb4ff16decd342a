// Reading one option out of a JSON configuration, with the message every
// reader gives: "option '<name>' <what is wrong>".
#pragma once

#include <string>

#include <rapidjson/document.h>

#include "util/option_error.hpp"
#include "util/json_kind.hpp"

namespace fwm::util {

[[noreturn]] inline void option_wrong(const std::string& name, const std::string& what)
{
    throw OptionError("option '" + name + "' " + what);
}

inline bool option_bool(const std::string& name, const rapidjson::Value& v)
{
    if (!v.IsBool())
        option_wrong(name, std::string("must be true or false, not ") + json_kind(v));
    return v.GetBool();
}

inline std::string option_string(const std::string& name, const rapidjson::Value& v)
{
    if (!v.IsString())
        option_wrong(name, std::string("must be a string, not ") + json_kind(v));
    return {v.GetString(), v.GetStringLength()};
}

} // namespace fwm::util
