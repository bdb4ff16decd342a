#include "util/status.hpp"

#include <iterator>

namespace fwm::util {
namespace {

struct StatusInfo {
    const char* name;
    const char* text;
};

constexpr StatusInfo kStatuses[] = {
    {"FWM_OK", "success"},
    {"FWM_ERR_INVALID_ARGUMENT", "invalid argument: a required pointer is NULL or a size is impossible"},
    {"FWM_ERR_INVALID_OPTIONS", "invalid options: the message names the option and what is wrong"},
    {"FWM_ERR_OUT_OF_MEMORY", "out of memory"},
    {"FWM_ERR_INTERNAL", "internal error in the fwm library"},
    {"FWM_ERR_PAYLOAD_TOO_LARGE", "payload too large: at most 4 GiB - 1 byte can be parsed"},
    {"FWM_ERR_TIMEOUT", "the endpoint did not answer in time"},
    {"FWM_ERR_CONNECT", "could not resolve or connect to the endpoint"},
    {"FWM_ERR_TLS", "the TLS handshake or certificate verification failed"},
    {"FWM_ERR_PROXY", "the proxy refused the tunnel"},
    {"FWM_ERR_NETWORK", "the connection broke during the exchange"},
    {"FWM_ERR_PROTOCOL", "the answer is not valid HTTP or cannot be decoded"},
    {"FWM_ERR_RESPONSE_TOO_LARGE", "the response is larger than max_response_bytes"},
    {"FWM_ERR_HTTP_UNAUTHORIZED", "HTTP 401: the API key was refused"},
    {"FWM_ERR_HTTP_FORBIDDEN", "HTTP 403: the API key may not read this account"},
    {"FWM_ERR_HTTP_NOT_FOUND", "HTTP 404: no metrics at this endpoint"},
    {"FWM_ERR_RATE_LIMITED", "rate limited, and no fresh response to serve"},
    {"FWM_ERR_HTTP_SERVER", "the endpoint kept failing with HTTP 5xx"},
    {"FWM_ERR_HTTP_STATUS", "the endpoint answered with an unexpected HTTP status"},
    {"FWM_ERR_REDIRECT", "redirected to another host, or too many times"},
    {"FWM_ERR_CANCELLED", "the collection was cancelled"},
};

const StatusInfo* info_of(int status)
{
    if (status < 0 || static_cast<std::size_t>(status) >= std::size(kStatuses))
        return nullptr;
    return &kStatuses[status];
}

} // namespace

const char* status_name(int status) noexcept
{
    const StatusInfo* info = info_of(status);
    return info ? info->name : "FWM_UNKNOWN";
}

const char* status_text(int status) noexcept
{
    const StatusInfo* info = info_of(status);
    return info ? info->text : "unknown status code";
}

} // namespace fwm::util
