#include "fleet/api_target.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace fwm::fleet {
namespace {

namespace urls = boost::urls;

std::string encoded(std::string_view value)
{
    return urls::encode(value, urls::unreserved_chars);
}

} // namespace

ApiTarget::ApiTarget(std::string_view account)
{
    url_.set_encoded_path("/v1/accounts");
    segment(account);
}

ApiTarget& ApiTarget::path(std::string_view literal)
{
    url_.encoded_segments().push_back(literal);
    return *this;
}

ApiTarget& ApiTarget::segment(std::string_view value)
{
    // '.' is unreserved, so "." and ".." would go as they are and a server
    // would read them as dot segments (another path): they go escaped.
    if (value == "." || value == "..")
        url_.encoded_segments().push_back(value.size() == 1 ? "%2E" : "%2E%2E");
    else
        url_.encoded_segments().push_back(encoded(value));
    return *this;
}

ApiTarget& ApiTarget::param(std::string_view key, std::string_view value)
{
    url_.encoded_params().append({key, encoded(value)});
    return *this;
}

std::string ApiTarget::str() const
{
    return std::string(url_.buffer());
}

} // namespace fwm::fleet
