// RapidJSON output straight into a std::string: the buffers the ABI hands
// out are built in place, without a second copy.
#pragma once

#include <string>

namespace fwm::util {

struct StringSink {
    using Ch = char;
    std::string& out;
    void Put(char c) { out.push_back(c); }
    void Flush() {}
};

} // namespace fwm::util
