#include "http/config.hpp"

#include <cctype>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "util/option_reader.hpp"
#include "util/json_kind.hpp"

namespace fwm::http {
namespace {

using util::OptionError;
using Value = rapidjson::Value;
using util::option_bool;
using util::option_wrong;
using util::option_string;

double get_number(const std::string& name, const Value& v, double min, double max)
{
    if (!v.IsNumber())
        option_wrong(name, std::string("must be a number, not ") + util::json_kind(v));
    const double d = v.GetDouble();
    if (!(d >= min && d <= max)) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "must be between %g and %g, not %g", min, max, d);
        option_wrong(name, buf);
    }
    return d;
}

std::chrono::milliseconds get_seconds(const std::string& name, const Value& v)
{
    const double s = get_number(name, v, 0.001, 3600);
    return std::chrono::milliseconds(static_cast<long long>(std::llround(s * 1000)));
}

std::string readable_file(const std::string& name, const Value& v)
{
    std::string path = option_string(name, v);
    if (path.empty())
        return path;
    std::ifstream f(path);
    if (!f)
        option_wrong(name, "names a file that cannot be read: " + path);
    return path;
}

Url get_url(const std::string& name, const std::string& text, UrlRules rules = UrlRules::endpoint)
{
    std::string error;
    auto url = parse_url(text, error, rules);
    if (!url)
        option_wrong(name, error);
    return *url;
}

std::optional<Url> get_proxy_url(const std::string& name, const Value& v)
{
    if (v.IsNull())
        return std::nullopt;
    const std::string text = option_string(name, v);
    if (text.empty())
        return std::nullopt;
    // "host:port" without a scheme is common in proxy settings.
    Url u = get_url(name, text.find("://") == std::string::npos ? "http://" + text : text, UrlRules::proxy);
    if (u.https())
        option_wrong(name, "uses https://, but only http:// proxies are supported (the tunnel to the endpoint is TLS)");
    return u;
}

NoProxy get_no_proxy(const std::string& name, const Value& v)
{
    if (v.IsNull())
        return {};
    if (v.IsString())
        return NoProxy(std::string_view(v.GetString(), v.GetStringLength()));
    if (!v.IsArray())
        option_wrong(name, std::string("must be a list of hosts or a comma-separated string, not ") + util::json_kind(v));
    std::vector<std::string> entries;
    for (const auto& e : v.GetArray())
        entries.push_back(option_string(name + " entry", e));
    return NoProxy(std::move(entries));
}

void read_proxy(const Value& v, ProxyConfig& out)
{
    if (v.IsNull())
        return;
    if (!v.IsObject())
        option_wrong("proxy", std::string("must be a mapping with http, https and no_proxy, not ") + util::json_kind(v));
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
        const std::string key(m->name.GetString(), m->name.GetStringLength());
        if (key == "http")
            out.http = get_proxy_url("proxy.http", m->value);
        else if (key == "https")
            out.https = get_proxy_url("proxy.https", m->value);
        else if (key == "no_proxy")
            out.no_proxy = get_no_proxy("proxy.no_proxy", m->value);
        else
            option_wrong("proxy." + key.substr(0, 32), "is unknown (expected http, https or no_proxy)");
    }
}

} // namespace

const Url* ProxyConfig::for_target(const Url& target) const
{
    const std::optional<Url>& proxy = target.https() ? https : http;
    if (!proxy || no_proxy.bypass(target.host, target.port))
        return nullptr;
    return &*proxy;
}

std::string ClientConfig::account_key() const
{
    return endpoint.host + ":" + std::to_string(endpoint.port) + "|" +
           (account_id.empty() ? endpoint.target : account_id) + (purpose == Purpose::api ? "|api" : "");
}

std::string ClientConfig::transport() const
{
    const Url* via = proxy.for_target(endpoint);
    return std::string(tls.verify ? "verify" : "no-verify") + (tls.validate_hostname ? "|host" : "|no-host") + "|" +
           tls.ca_cert + "|" + tls.cert + "|" + tls.private_key + "|" +
           (via ? via->user + "@" + via->redacted() : std::string("direct"));
}

ClientConfig read_client_config(const char* json)
{
    if (json == nullptr || *json == '\0')
        throw OptionError("the client configuration is empty: api_key and account_id (or openmetrics_endpoint) are required");
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(json); // iterative: no nesting depth can exhaust the stack
    if (doc.HasParseError())
        throw OptionError(std::string("the client configuration is not valid JSON: ") +
                          rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                          std::to_string(doc.GetErrorOffset()));
    return read_client_config(doc, {"mapping"});
}

ClientConfig read_client_config(const Value& doc, std::initializer_list<const char*> also_known)
{
    if (!doc.IsObject())
        throw OptionError("the client configuration must be a JSON object");

    ClientConfig c;
    std::string endpoint;
    bool have_connect = false, have_read = false;
    for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
        const std::string name(m->name.GetString(), m->name.GetStringLength());
        const Value& v = m->value;
        if (name == "openmetrics_endpoint") {
            endpoint = option_string(name, v);
        } else if (name == "api_key") {
            if (!v.IsString())
                option_wrong(name, std::string("must be a string, not ") + util::json_kind(v));
            c.api_key.assign(v.GetString(), v.GetStringLength());
        } else if (name == "account_id") {
            c.account_id = option_string(name, v);
        } else if (name == "timeout") {
            c.timeout = get_seconds(name, v);
        } else if (name == "connect_timeout") {
            c.connect_timeout = get_seconds(name, v);
            have_connect = true;
        } else if (name == "read_timeout") {
            c.read_timeout = get_seconds(name, v);
            have_read = true;
        } else if (name == "tls_verify") {
            c.tls.verify = option_bool(name, v);
        } else if (name == "tls_ca_cert") {
            c.tls.ca_cert = readable_file(name, v);
        } else if (name == "tls_cert") {
            c.tls.cert = readable_file(name, v);
        } else if (name == "tls_private_key") {
            c.tls.private_key = readable_file(name, v);
        } else if (name == "tls_validate_hostname") {
            c.tls.validate_hostname = option_bool(name, v);
        } else if (name == "proxy") {
            read_proxy(v, c.proxy);
        } else if (name == "max_response_bytes") {
            c.max_response_bytes = static_cast<std::size_t>(get_number(name, v, 1024, 4294967294.0));
        } else if (name == "max_requests_per_minute") {
            const double n = get_number(name, v, 1, kMaxRequestsPerMinute);
            if (n != std::floor(n))
                option_wrong(name, "must be a whole number");
            c.max_requests_per_minute = static_cast<unsigned>(n);
        } else if (name == "refresh_period") {
            c.refresh_period = get_seconds(name, v);
        } else if (name == "max_attempts") {
            c.max_attempts = static_cast<unsigned>(get_number(name, v, 1, 10));
        } else if (name == "max_retry_after") {
            c.max_retry_after = get_seconds(name, v);
        } else if (std::find_if(also_known.begin(), also_known.end(), [&](const char* k) { return name == k; }) !=
                   also_known.end()) {
            // Read by the caller.
        } else {
            throw OptionError("unknown option '" + name.substr(0, 64) + "'");
        }
    }

    if (c.api_key.empty())
        throw OptionError("option 'api_key' is required");
    for (char ch : c.api_key)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f)
            throw OptionError("option 'api_key' contains a control character (a pasted newline?)");
    // The account id names the rate-limit account, goes into the URL and
    // into a tag: only the characters Fireworks uses.
    for (char ch : c.account_id)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.')
            throw OptionError("option 'account_id' may hold only letters, digits, '-', '_' and '.'");
    if (c.account_id.size() > 128)
        throw OptionError("option 'account_id' is longer than 128 characters");
    if (endpoint.empty()) {
        if (c.account_id.empty())
            throw OptionError("option 'account_id' is required (or set openmetrics_endpoint)");
        endpoint = "https://api.fireworks.ai/v1/accounts/" + c.account_id + "/metrics";
    }
    c.endpoint = get_url("openmetrics_endpoint", endpoint);
    if (c.endpoint.has_credentials())
        throw OptionError("option 'openmetrics_endpoint' must not carry user:password; use api_key");
    if (!have_connect)
        c.connect_timeout = c.timeout;
    if (!have_read)
        c.read_timeout = c.timeout;
    if (!c.tls.private_key.empty() && c.tls.cert.empty())
        throw OptionError("option 'tls_private_key' needs tls_cert");
    return c;
}

} // namespace fwm::http
