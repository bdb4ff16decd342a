// ASCII helpers for URLs and host names (locale-independent on purpose).
#pragma once

#include <string>
#include <string_view>

namespace fwm::util {

inline std::string ascii_lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

} // namespace fwm::util
