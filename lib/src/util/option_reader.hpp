// Reading one option out of a JSON configuration, with the message every
// reader gives: "option '<name>' <what is wrong>".
#pragma once

#include <string>

#include <rapidjson/document.h>

#include "util/option_error.hpp"
#include "util/json_kind.hpp"
#include "util/tag_names.hpp"

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

// A tag name the user chose (annotation_tags, rename_labels): tag_names.hpp's rules.
inline std::string option_tag_name(const std::string& name, const rapidjson::Value& v)
{
    std::string tag = option_string(name, v);
    if (!tag_name(tag))
        option_wrong(name, "must be a tag name: lower case letters, digits, '_', '.', '-' or '/', starting with a letter");
    if (reserved_tag(tag))
        option_wrong(name, "names '" + tag + "', a tag the check or Datadog already gives its own meaning");
    return tag;
}

} // namespace fwm::util
