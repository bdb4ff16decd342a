// Pieces the test endpoint's REST answers share: query parameters, JSON
// replies and errors in Google's {code, message} shape, RFC 3339 times and
// google.type.Money.
#pragma once

#include <ctime>
#include <string>

#include "test_server.hpp"

namespace fwm::test {

// The percent-decoded value of `name` in a query string ("" when absent).
std::string query_param(const std::string& query, const std::string& name);

Reply json_reply(std::string body, unsigned status = 200);
// {"code": <google.rpc code>, "message": "..."} with an HTTP status.
Reply error_reply(unsigned status, int code, const std::string& message);

// A JSON string literal, quotes included.
std::string json_quote(const std::string& text);
// A JSON number without trailing zeros: 36, 18.5, 612.4.
std::string json_number(double v);

// "YYYY-MM-DDTHH:MM:SSZ", with `millis` as a fraction when >= 0.
std::string utc_time(std::time_t t, int millis = -1);
// "YYYY-MM-DDT00:00:00Z" of the UTC day holding `t`.
std::string day_start(std::time_t t);

// {"currencyCode": "USD", "units": ..., "nanos": ...} for an amount in
// nanos; units a string (as the spec has it) or a number (as some answers do).
std::string money(long long nanos, bool units_as_string);

} // namespace fwm::test
