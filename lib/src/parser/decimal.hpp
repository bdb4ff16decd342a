// Text to double, correctly rounded, in the C locale, with the same answer
// whatever the standard library: Zig's libc++ (the portable builds) has no
// floating-point std::from_chars, so decimals go to fast_float (header-only,
// exact, and its own Clinger fast path) and Go's hexadecimal floats to
// glibc's strtod_l in the "C" locale.
#pragma once

#include <string_view>

namespace fwm::parser {

enum class Conversion { ok, syntax, overflow };

// `text` is unsigned: decimal digits with an optional point and exponent
// ("12", ".5", "1.5e-3"), or with `hex`, hex digits with an optional point
// and a p exponent, without the 0x ("1.8p3"). An underflow is 0 or the
// nearest subnormal (ok); an overflow gives +inf and `overflow`.
Conversion to_double(std::string_view text, bool hex, double& out) noexcept;

} // namespace fwm::parser
