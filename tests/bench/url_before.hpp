// The URL functions as they were before Boost.URL, for bench_url.
#pragma once

#include "http/url.hpp"

namespace fwm::http::before {

bool printable_ascii(std::string_view text, std::string& error);
std::optional<Url> parse_url(std::string_view text, std::string& error, UrlRules rules = UrlRules::endpoint);
std::optional<Url> resolve_location(const Url& base, std::string_view location, std::string& error);

} // namespace fwm::http::before
