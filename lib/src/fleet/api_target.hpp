// Request targets on the Fireworks REST API, built with Boost.URL so that
// every value in them, path segment or query parameter, is percent-encoded
// by one rule: all but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~).
#pragma once

#include <string>
#include <string_view>

#include <boost/url/url.hpp>

namespace fwm::fleet {

class ApiTarget {
public:
    // "/v1/accounts/{account}"
    explicit ApiTarget(std::string_view account);

    // A fixed segment, as written ("deployments", "usageCosts:query").
    ApiTarget& path(std::string_view literal);
    // A value as one segment, percent-encoded.
    ApiTarget& segment(std::string_view value);
    // "key=value" in the query, the value percent-encoded.
    ApiTarget& param(std::string_view key, std::string_view value);

    std::string str() const;

private:
    boost::urls::url url_;
};

} // namespace fwm::fleet
