// Text that leaves the library: valid UTF-8, no raw control characters,
// bounded in length. Payloads, headers, URLs and configs are hostile input,
// and whatever of them reaches a message, a log line or a JSON buffer goes
// through here first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fwm::util {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or
// code points past U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

// The length (1 to 4) of the valid UTF-8 sequence at p, or 0 when the bytes
// there are not one.
std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) noexcept;

// The length of the longest prefix of `s` of at most `max_bytes` bytes that
// does not end inside a UTF-8 sequence.
std::size_t utf8_prefix(std::string_view s, std::size_t max_bytes) noexcept;

// `s` with each byte that is not part of a valid UTF-8 sequence replaced by
// U+FFFD, as a strict decoder with replacement reads it (Python's "replace").
std::string replace_invalid_utf8(std::string_view s);

// `s` made safe to print: control characters become \n, \r, \t or \xNN,
// characters that steer a terminal or a reader without showing (C1
// controls, line separators, bidirectional overrides, zero-width ones)
// become \uNNNN, bytes that are not valid UTF-8 become \xNN, and the result
// is cut at a character boundary to at most `max_bytes` bytes (plus "..."
// when cut).
std::string clean_text(std::string_view s, std::size_t max_bytes = 512);

// True when clean_text(s) would return `s` unchanged (the fast path).
bool is_clean_text(std::string_view s) noexcept;

} // namespace fwm::util
