// How REST values were percent-encoded before request targets were built
// with Boost.URL: every byte but RFC 3986's unreserved characters. The URL
// tests hold the new targets to it byte for byte, and bench_url times both.
#pragma once

#include <string>

namespace fwm::test {

inline std::string old_percent_encode(const std::string& s)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

} // namespace fwm::test
