// A client handle's configuration, read from the JSON given to
// fwm_client_create. Option names follow Datadog's HTTP conventions.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <initializer_list>
#include <string>

#include <rapidjson/document.h>

#include "http/no_proxy.hpp"
#include "http/url.hpp"

namespace fwm::http {

struct TlsConfig {
    bool verify = true;            // tls_verify
    std::string ca_cert;           // tls_ca_cert: a PEM file; empty = system store
    std::string cert;              // tls_cert: client certificate chain (PEM)
    std::string private_key;       // tls_private_key: its key (PEM); may be inside tls_cert
    bool validate_hostname = true; // tls_validate_hostname
};

struct ProxyConfig {
    std::optional<Url> http;  // proxy for http:// endpoints
    std::optional<Url> https; // proxy for https:// endpoints (CONNECT tunnel)
    NoProxy no_proxy;

    // The proxy to use for `target`, if any.
    const Url* for_target(const Url& target) const;
};

// What a client handle fetches: the metrics, or pages of Fireworks' REST
// API (deployments, billing usage), which are never cached or served
// stale and count against their own request budget.
enum class Purpose { metrics, api };

struct ClientConfig {
    Purpose purpose = Purpose::metrics;
    Url endpoint;              // openmetrics_endpoint (default from account_id); for api, api_endpoint's origin
    std::string api_key;       // api_key: sent as a Bearer token, never logged
    std::string account_id;    // account_id: names the rate-limit account
    std::chrono::milliseconds timeout{10000};          // the whole collection
    std::chrono::milliseconds connect_timeout{10000};  // resolve + connect + proxy + TLS
    std::chrono::milliseconds read_timeout{10000};     // any one read or write
    TlsConfig tls;
    ProxyConfig proxy;
    std::size_t max_response_bytes = 128u << 20;
    unsigned max_requests_per_minute = 5;
    std::chrono::milliseconds refresh_period{30000};   // how long a response stays fresh
    unsigned max_attempts = 3;                          // for 5xx and network errors
    std::chrono::milliseconds max_retry_after{600000};  // the longest a 429's Retry-After may silence the account

    // The process-wide rate-limit key: endpoint host and port plus account
    // (and the purpose: the REST API's budget is not the metrics').
    std::string account_key() const;
    // How the endpoint is reached (TLS checks, CA, client certificate,
    // proxy): a response fetched one way is not served to a handle that
    // asks for another.
    std::string transport() const;
    // The option that sets the endpoint, for messages.
    const char* endpoint_option() const { return purpose == Purpose::api ? "api_endpoint" : "openmetrics_endpoint"; }
};

// Throws util::OptionError naming the option when something is wrong.
ClientConfig read_client_config(const char* json);

inline constexpr const char* kDefaultEndpointFormat = "https://api.fireworks.ai/v1/accounts/%s/metrics";
inline constexpr unsigned kMaxRequestsPerMinute = 6; // Fireworks' documented limit

// The check's HTTP options, read from an already parsed JSON object (the
// configuration is parsed once, by the collector). Members the caller
// handles itself are listed in `also_known`.
ClientConfig read_client_config(const rapidjson::Value& doc, std::initializer_list<const char*> also_known);

} // namespace fwm::http
