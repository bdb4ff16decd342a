#include "rest_json.hpp"

#include <algorithm>
#include <cstdio>

namespace fwm::test {

std::string query_param(const std::string& query, const std::string& name)
{
    std::size_t at = 0;
    while (at < query.size()) {
        const std::size_t end = std::min(query.find('&', at), query.size());
        const std::string pair = query.substr(at, end - at);
        if (pair.rfind(name + "=", 0) == 0) {
            std::string raw = pair.substr(name.size() + 1), out;
            for (std::size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] == '%' && i + 2 < raw.size()) {
                    out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
                    i += 2;
                } else {
                    out += raw[i];
                }
            }
            return out;
        }
        at = end + 1;
    }
    return {};
}

Reply json_reply(std::string body, unsigned status)
{
    Reply r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = std::move(body);
    return r;
}

Reply error_reply(unsigned status, int code, const std::string& message)
{
    return json_reply(R"({"code": )" + std::to_string(code) + R"(, "message": )" + json_quote(message) + "}", status);
}

std::string json_quote(const std::string& text)
{
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string json_number(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

namespace {

std::tm utc(std::time_t t)
{
    std::tm tm{};
#ifdef _WIN32
    gmtime_s(&tm, &t);
#else
    gmtime_r(&t, &tm);
#endif
    return tm;
}

} // namespace

std::string utc_time(std::time_t t, int millis)
{
    const std::tm tm = utc(t);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = buf;
    if (millis >= 0) {
        std::snprintf(buf, sizeof buf, ".%03d", millis % 1000);
        out += buf;
    }
    return out + "Z";
}

std::string day_start(std::time_t t)
{
    const std::tm tm = utc(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT00:00:00Z", &tm);
    return buf;
}

std::string money(long long nanos, bool units_as_string)
{
    // google.type.Money: nanos has the sign of units (C++ division truncates).
    const long long units = nanos / 1000000000LL, rest = nanos % 1000000000LL;
    const std::string u = std::to_string(units);
    return R"({"currencyCode": "USD", "units": )" + (units_as_string ? "\"" + u + "\"" : u) +
           R"(, "nanos": )" + std::to_string(rest) + "}";
}

} // namespace fwm::test
