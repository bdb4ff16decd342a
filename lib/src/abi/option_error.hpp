// A configuration mistake the caller can fix; the message names the option.
#pragma once

#include <stdexcept>
#include <string>

namespace fwm::abi {

class OptionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace fwm::abi
