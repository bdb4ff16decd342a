// Inflates a gzip (or zlib) body with a hard cap on the output size, so that
// a small compressed bomb is an error and never an allocation of its size.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/page_allocator.hpp"

namespace fwm::http {

enum class InflateStatus { ok, too_large, corrupt };

// Appends the inflated body to `out`; stops with too_large as soon as the
// output would pass `max_bytes`. `error` says what is wrong on corrupt.
InflateStatus gunzip(std::string_view compressed, std::size_t max_bytes, util::BigString& out, std::string& error);

} // namespace fwm::http
