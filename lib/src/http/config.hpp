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
#include "options/table.hpp"

namespace fwm::http {

// Options of the C ABI's that no conf.yaml sets, so not in spec.yaml.
inline constexpr options::OptionSpec kRefreshPeriod{.name = "refresh_period", .reader = options::Reader::client,
                                                    .type = options::Type::number, .min = 0.001, .max = 3600,
                                                    .has_default = true, .number = 30};
inline constexpr options::OptionSpec kMaxAttempts{.name = "max_attempts", .reader = options::Reader::client,
                                                  .type = options::Type::integer, .min = 1, .max = 10,
                                                  .has_default = true, .number = 3};

// The defaults are spec.yaml's.
struct TlsConfig {
    bool verify = options::default_flag("tls_verify");
    std::string ca_cert;           // tls_ca_cert: a PEM file; empty = system store
    std::string cert;              // tls_cert: client certificate chain (PEM)
    std::string private_key;       // tls_private_key: its key (PEM); may be inside tls_cert
    bool validate_hostname = options::default_flag("tls_validate_hostname");
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
    std::chrono::milliseconds timeout = options::default_ms("timeout"); // the whole collection
    // Left out, connect_timeout and read_timeout are timeout.
    std::chrono::milliseconds connect_timeout = timeout; // resolve + connect + proxy + TLS
    std::chrono::milliseconds read_timeout = timeout;    // any one read or write
    TlsConfig tls;
    ProxyConfig proxy;
    std::size_t max_response_bytes = static_cast<std::size_t>(options::default_number("max_response_bytes"));
    unsigned max_requests_per_minute = static_cast<unsigned>(options::default_number("max_requests_per_minute"));
    // How long a response stays fresh.
    std::chrono::milliseconds refresh_period{static_cast<long long>(kRefreshPeriod.number * 1000)};
    unsigned max_attempts = static_cast<unsigned>(kMaxAttempts.number); // for 5xx and network errors
    // The longest a 429's Retry-After may silence the account.
    std::chrono::milliseconds max_retry_after = options::default_ms("max_retry_after");

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

// The check's HTTP options, read from an already parsed JSON object (the
// configuration is parsed once, by the collector). Members the caller
// handles itself are listed in `also_known`.
ClientConfig read_client_config(const rapidjson::Value& doc, std::initializer_list<const char*> also_known);

} // namespace fwm::http
