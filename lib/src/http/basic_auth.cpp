#include "http/basic_auth.hpp"

#include <algorithm>

#include <openssl/evp.h>

namespace fwm::http {

std::string basic_credentials(std::string_view user, std::string_view password)
{
    std::string plain;
    plain.reserve(user.size() + 1 + password.size());
    plain.append(user).append(1, ':').append(password);
    std::string out = "Basic ";
    const std::size_t head = out.size();
    // EVP_EncodeBlock writes 4 bytes per 3 (the last group padded) and a
    // NUL, no newlines; it takes an int, so long input goes in whole groups.
    constexpr std::size_t kChunk = 3 * 1024 * 1024;
    out.resize(head + 4 * ((plain.size() + 2) / 3) + 1);
    std::size_t written = head;
    for (std::size_t at = 0; at < plain.size(); at += kChunk) {
        const std::size_t n = std::min(kChunk, plain.size() - at);
        written += static_cast<std::size_t>(
            EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + written),
                            reinterpret_cast<const unsigned char*>(plain.data() + at), static_cast<int>(n)));
    }
    out.resize(written);
    return out;
}

} // namespace fwm::http
