#include "mapping/naming.hpp"

namespace fwm::mapping {
namespace {

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Prefixes of names the check submits itself, or keeps for fallbacks.
constexpr std::string_view kReservedPrefixes[] = {
    "fireworks.scrape.", "fireworks.deployment.", "fireworks.usage.", "fireworks.series.",
};
constexpr std::string_view kReservedNames[] = {"fireworks.deployments"};

} // namespace

std::string_view without_aggregation(std::string_view name) noexcept
{
    if (const auto colon = name.rfind(':'); colon != std::string_view::npos &&
                                            name.substr(colon).find("_by_") != std::string_view::npos)
        return name.substr(0, colon);
    return name;
}

Merge merge_rule(std::string_view name, Kind kind) noexcept
{
    if (kind != Kind::gauge)
        return Merge::sum; // rates and histogram buckets: parts of one whole
    const std::string_view base = without_aggregation(name);
    if (base.size() == name.size())
        return Merge::mean;
    const std::string_view aggregation = name.substr(base.size() + 1);
    if (starts_with(aggregation, "sum_by_"))
        return Merge::sum;
    if (starts_with(aggregation, "max_by_"))
        return Merge::max;
    if (starts_with(aggregation, "min_by_"))
        return Merge::min;
    return Merge::mean;
}

std::string sanitize(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            c = '_';
    return out;
}

bool reserved_name(std::string_view name) noexcept
{
    for (const auto prefix : kReservedPrefixes)
        if (starts_with(name, prefix))
            return true;
    for (const auto exact : kReservedNames)
        if (name == exact)
            return true;
    for (const KnownSeries* k = known_begin(); k != known_end(); ++k) {
        if (name == k->datadog)
            return true;
        if (k->kind == Kind::rate && ends_with(k->datadog, ".rate") &&
            name.size() == k->datadog.size() + 1 && starts_with(name, k->datadog.substr(0, k->datadog.size() - 5)) &&
            ends_with(name, ".count"))
            return true;
        // A histogram's quantile gauges: "<name>.p<anything>".
        if (k->kind == Kind::histogram && name.size() > k->datadog.size() + 2 && starts_with(name, k->datadog) &&
            name.substr(k->datadog.size(), 2) == ".p")
            return true;
    }
    return false;
}

std::string derived_base(std::string_view base, Kind kind)
{
    const std::string clean = sanitize(base);
    if (kind == Kind::histogram && ends_with(clean, "_bucket"))
        return "fireworks." + clean.substr(0, clean.size() - 7);
    if (kind == Kind::rate && ends_with(clean, "_total"))
        return "fireworks." + clean.substr(0, clean.size() - 6);
    return "fireworks." + clean;
}

std::string fallback_base(std::string_view full_name, unsigned attempt)
{
    std::string out = "fireworks.series." + sanitize(full_name);
    if (attempt > 0)
        out += "_" + std::to_string(attempt + 1);
    return out;
}

} // namespace fwm::mapping
