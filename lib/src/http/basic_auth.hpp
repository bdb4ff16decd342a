// The value of a Proxy-Authorization header for a proxy URL's userinfo.
#pragma once

#include <string>
#include <string_view>

namespace fwm::http {

// "Basic " and base64(user ":" password), RFC 7617 (padding as RFC 4648).
std::string basic_credentials(std::string_view user, std::string_view password);

} // namespace fwm::http
