#include "fleet/money.hpp"

#include <cstdint>
#include <limits>

#include "util/json_kind.hpp"
#include "util/text.hpp"

namespace fwm::fleet {

namespace {

constexpr long long kNano = 1000000000LL;
constexpr Nanos kMaxNanos = static_cast<Nanos>(std::numeric_limits<std::int64_t>::max()) * kNano;

// A whole number of units: a JSON integer, or a string of an optional '-'
// and 1 to 19 digits that fits an int64.
std::optional<long long> units_of(const rapidjson::Value& v)
{
    if (v.IsInt64())
        return v.GetInt64();
    if (!v.IsString())
        return std::nullopt;
    std::string_view s(v.GetString(), v.GetStringLength());
    const bool negative = !s.empty() && s[0] == '-';
    if (negative)
        s.remove_prefix(1);
    const auto n = parse_count(s);
    if (!n || *n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
    return negative ? -static_cast<long long>(*n) : static_cast<long long>(*n);
}

} // namespace

std::optional<Money> Money::from_parts(long long units, long long nanos, std::string currency)
{
    if (nanos <= -kNano || nanos >= kNano || (units > 0 && nanos < 0) || (units < 0 && nanos > 0))
        return std::nullopt;
    Money m;
    m.nanos_ = static_cast<Nanos>(units) * kNano + nanos;
    m.currency_ = std::move(currency);
    return m;
}

double Money::value() const
{
    const Nanos whole = nanos_ / kNano, rest = nanos_ % kNano;
    return static_cast<double>(static_cast<long long>(whole)) + static_cast<double>(static_cast<long long>(rest)) / 1e9;
}

bool Money::add(const Money& other)
{
    if (currency_.empty() && nanos_ == 0)
        currency_ = other.currency_;
    else if (other.currency_ != currency_)
        return false;
    nanos_ += other.nanos_; // both within ±kMaxNanos: no overflow of 128 bits
    capped_ = capped_ || other.capped_;
    if (nanos_ > kMaxNanos || nanos_ < -kMaxNanos) {
        nanos_ = nanos_ > 0 ? kMaxNanos : -kMaxNanos;
        capped_ = true;
    }
    return true;
}

std::string Money::text() const
{
    const Nanos whole = nanos_ / kNano, rest = nanos_ % kNano;
    std::string frac = std::to_string(static_cast<long long>(rest < 0 ? -rest : rest));
    frac.insert(0, 9 - frac.size(), '0');
    std::string out = (nanos_ < 0 && whole == 0 ? "-" : "") + std::to_string(static_cast<long long>(whole));
    return out + "." + frac;
}

std::optional<Money> money_field(const rapidjson::Value& o, const char* name, std::string_view where,
                                 Problems& problems)
{
    const auto it = o.FindMember(name);
    if (it == o.MemberEnd() || it->value.IsNull())
        return std::nullopt;
    const std::string at = std::string(where) + "." + name;
    const rapidjson::Value& v = it->value;
    if (!v.IsObject()) {
        problems.add(at + ": expected a Money mapping, got " + util::json_kind(v));
        return std::nullopt;
    }
    long long units = 0, nanos = 0;
    if (const auto u = v.FindMember("units"); u != v.MemberEnd() && !u->value.IsNull()) {
        const auto read = units_of(u->value);
        if (!read) {
            problems.add(at + ".units: not a whole number of units (an int64, as a string or a number)");
            return std::nullopt;
        }
        units = *read;
    }
    if (const auto n = v.FindMember("nanos"); n != v.MemberEnd() && !n->value.IsNull()) {
        const auto read = units_of(n->value);
        if (!read || *read <= -kNano || *read >= kNano) {
            problems.add(at + ".nanos: not a whole number from -999999999 to 999999999");
            return std::nullopt;
        }
        nanos = *read;
    }
    std::string currency = "USD";
    if (auto c = text_field(v, "currencyCode", at, 16, problems); c && !c->empty())
        currency = std::move(*c);
    auto m = Money::from_parts(units, nanos, std::move(currency));
    if (!m)
        problems.add(at + ": units and nanos of different signs");
    return m;
}

} // namespace fwm::fleet
