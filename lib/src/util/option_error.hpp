// A configuration mistake the caller can fix; the message names the option.
#pragma once

#include <stdexcept>
#include <string>

#include "util/text.hpp"

namespace fwm::util {

class OptionError : public std::runtime_error {
public:
    // Configs are input too (autodiscovery fills them from annotations):
    // whatever of them a message quotes is cleaned and bounded.
    explicit OptionError(const std::string& message)
        : std::runtime_error(clean_text(message, 1024))
    {
    }
};

} // namespace fwm::util
