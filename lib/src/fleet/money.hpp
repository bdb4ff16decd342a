// Money as Fireworks sends it (google.type.Money): whole `units` (an int64,
// as a string or a number) and `nanos` (billionths, the same sign), in a
// `currencyCode`. Sums are kept in nanos, exactly: 0.1 + 0.2 is 0.3 here,
// whatever the number of rows. Never converted between currencies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "fleet/json_fields.hpp"

namespace fwm::fleet {

// 128 bits: any int64 of units in nanos, and sums of them, without overflow.
__extension__ typedef __int128 Nanos;

class Money {
public:
    Money() = default;
    static std::optional<Money> from_parts(long long units, long long nanos, std::string currency);

    const std::string& currency() const { return currency_; }
    // units + nanos/1e9, rounded to the nearest double only here.
    double value() const;
    bool capped() const { return capped_; }
    // Adds `other` when the currency is the same (or this is empty);
    // false otherwise. A sum past ±9.2e18 units is capped (capped()).
    bool add(const Money& other);
    bool operator==(const Money& o) const { return nanos_ == o.nanos_ && currency_ == o.currency_; }
    // The exact amount as "units.nnnnnnnnn" (for tests and messages).
    std::string text() const;

private:
    Nanos nanos_ = 0;
    std::string currency_;
    bool capped_ = false;
};

// The Money member `name` of `object`; nothing (noted) when it is not one:
// units not a whole number, nanos outside ±999,999,999 or of the other sign.
// A missing currencyCode is "USD": Fireworks bills in dollars.
std::optional<Money> money_field(const rapidjson::Value& object, const char* name, std::string_view where,
                                 Problems& problems);

} // namespace fwm::fleet
