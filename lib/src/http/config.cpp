#include "http/config.hpp"

#include <cctype>
#include <fstream>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "options/fields.hpp"
#include "util/json_kind.hpp"
#include "util/option_reader.hpp"
#include "util/platform.hpp"

namespace fwm::http {
namespace {

using options::OptionSpec;
using util::OptionError;
using Value = rapidjson::Value;
using util::option_wrong;
using util::option_string;

// The configuration as given, before the rules between options apply.
struct Draft : ClientConfig {
    std::string endpoint_text; // openmetrics_endpoint
};

std::string readable_file(const std::string& name, const Value& v)
{
    std::string path = option_string(name, v);
    if (path.empty())
        return path;
    std::ifstream f = util::open_for_reading(path);
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

template <std::string TlsConfig::*File>
void read_file(const OptionSpec& row, const Value& v, Draft& c)
{
    c.tls.*File = readable_file(std::string(row.name), v);
}

void read_proxy_member(const OptionSpec&, const Value& v, Draft& c)
{
    read_proxy(v, c.proxy);
}

template <auto... Path>
consteval options::Field<Draft> to(std::string_view name)
{
    return options::member<Draft, Path...>(name);
}

constexpr options::Field<Draft> kFields[] = {
    to<&Draft::endpoint_text>("openmetrics_endpoint"),
    to<&ClientConfig::api_key>("api_key"),
    to<&ClientConfig::account_id>("account_id"),
    to<&ClientConfig::timeout>("timeout"),
    to<&ClientConfig::connect_timeout>("connect_timeout"),
    to<&ClientConfig::read_timeout>("read_timeout"),
    to<&ClientConfig::tls, &TlsConfig::verify>("tls_verify"),
    options::custom<Draft>("tls_ca_cert", read_file<&TlsConfig::ca_cert>),
    options::custom<Draft>("tls_cert", read_file<&TlsConfig::cert>),
    options::custom<Draft>("tls_private_key", read_file<&TlsConfig::private_key>),
    to<&ClientConfig::tls, &TlsConfig::validate_hostname>("tls_validate_hostname"),
    // Built by the shim from the instance's, init_config's or the Agent's proxy.
    options::custom<Draft>("proxy", read_proxy_member),
    to<&ClientConfig::max_response_bytes>("max_response_bytes"),
    to<&ClientConfig::max_requests_per_minute>("max_requests_per_minute"),
    to<&ClientConfig::max_retry_after>("max_retry_after"),
    options::member<Draft, &ClientConfig::refresh_period>(kRefreshPeriod),
    options::member<Draft, &ClientConfig::max_attempts>(kMaxAttempts),
};
// A client option added to spec.yaml needs its field here.
static_assert(options::covers(kFields, options::Reader::client));

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

    Draft c;
    options::read_fields(doc, kFields, c, also_known);
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
    if (c.endpoint_text.empty()) {
        if (c.account_id.empty())
            throw OptionError("option 'account_id' is required (or set openmetrics_endpoint)");
        c.endpoint_text = "https://api.fireworks.ai/v1/accounts/" + c.account_id + "/metrics";
    }
    c.endpoint = get_url("openmetrics_endpoint", c.endpoint_text);
    if (c.endpoint.has_credentials())
        throw OptionError("option 'openmetrics_endpoint' must not carry user:password; use api_key");
    if (!doc.HasMember("connect_timeout"))
        c.connect_timeout = c.timeout;
    if (!doc.HasMember("read_timeout"))
        c.read_timeout = c.timeout;
    if (!c.tls.private_key.empty() && c.tls.cert.empty())
        throw OptionError("option 'tls_private_key' needs tls_cert");
    return c;
}

} // namespace fwm::http
