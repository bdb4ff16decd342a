#include "fleet/capacity.hpp"

#include <algorithm>
#include <cmath>

#include "fleet/rfc3339.hpp"
#include "util/text.hpp"

namespace fwm::fleet {

namespace {

bool lower_word(std::string_view s) noexcept
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

// The first of `names` present: the API writes camelCase, some answers snake_case.
std::optional<double> either(const rapidjson::Value& v, const char* camel, const char* snake, const std::string& where,
                             Problems& problems)
{
    if (auto n = number_field(v, camel, where, problems))
        return n;
    return number_field(v, snake, where, problems);
}

bool read_quota(const rapidjson::Value& v, std::size_t index, Quota& q, Problems& problems)
{
    const std::string where = "quotas[" + std::to_string(index) + "]";
    if (!v.IsObject()) {
        problems.add(where + ": not a mapping");
        return false;
    }
    std::string_view id;
    if (auto name = v.FindMember("name"); name != v.MemberEnd() && name->value.IsString())
        id = last_segment(std::string_view(name->value.GetString(), name->value.GetStringLength()));
    if (id.empty() || id.size() > kMaxTextBytes || !util::is_clean_text(id)) {
        problems.add(where + ": no usable name");
        return false;
    }
    q.id = std::string(id);
    q.limit = number_field(v, "value", where, problems);
    q.max_approved = either(v, "maxValue", "max_value", where, problems);
    q.usage = number_field(v, "usage", where, problems);
    if (auto t = text_field(v, "updateTime", where, 64, problems); t || (t = text_field(v, "update_time", where, 64, problems)))
        q.update_time = parse_rfc3339(*t);
    return true;
}

} // namespace

AccountInfo parse_account(std::string_view json)
{
    AccountInfo a;
    AnswerParts parts;
    parts.members = {"state", "suspendState", "status", "displayName", "accountType", "suspend_state", "display_name",
                     "account_type"};
    // snake_case lands apart: camelCase wins whatever the order of the members.
    std::string snake_suspend, snake_display, snake_type;
    std::string* fields[] = {&a.state, &a.suspend_state, nullptr, &a.display_name, &a.account_type,
                             &snake_suspend, &snake_display, &snake_type};
    parts.member = [&](std::size_t i, const rapidjson::Value& v) {
        if (i == 2) {
            if (v.IsObject()) {
                a.status_code = text_field(v, "code", "status", 64, a.problems).value_or("");
                a.status_message = text_field(v, "message", "status", 500, a.problems).value_or("");
            } else if (!v.IsNull()) {
                a.problems.add("status: expected a mapping");
            }
            return;
        }
        if (v.IsNull())
            return;
        if (!v.IsString()) {
            a.problems.add(std::string(parts.members[i]) + ": expected a string");
            return;
        }
        *fields[i] = util::clean_text(std::string_view(v.GetString(), v.GetStringLength()), i == 0 || i == 1 || i == 5 ? 64 : kMaxTextBytes);
    };
    read_answer(json, "the account answer", parts);
    for (auto [camel, snake] : {std::pair{&a.suspend_state, &snake_suspend}, std::pair{&a.display_name, &snake_display},
                                std::pair{&a.account_type, &snake_type}})
        if (camel->empty())
            *camel = std::move(*snake);
    return a;
}

QuotasPage parse_quotas_page(std::string_view json, std::size_t max_quotas)
{
    QuotasPage page;
    AnswerParts parts;
    parts.lists = {"quotas"};
    parts.members = {"nextPageToken"};
    read_list_into(parts, page.quotas, max_quotas, page.skipped, page.problems, "quotas",
                   [&](const rapidjson::Value& v, std::size_t index, Quota& q) {
                       return read_quota(v, index, q, page.problems);
                   });
    parts.member = [&](std::size_t, const rapidjson::Value& v) {
        page.next_page_token = page_token(v, "the quotas answer", 4096, page.problems);
    };
    read_answer(json, "the quotas answer", parts);
    return page;
}

bool suspended(std::string_view s) noexcept
{
    return !(s.empty() || s == "UNSUSPENDED" || s == "SUSPEND_STATE_UNSPECIFIED");
}

bool unlimited(double limit) noexcept
{
    return limit >= kUnlimitedQuota || limit < 0;
}

std::optional<std::pair<std::string, std::string>> gpu_quota(std::string_view id)
{
    // <accelerator>-<letters>(-<letters>)*-<digits>: an accelerator of
    // letters and digits (h100, mi300x; not lora, not 80gb's kind of part in
    // a region), then a region as the deployments' enum writes it.
    const auto letters = [](std::string_view p) {
        return !p.empty() && std::all_of(p.begin(), p.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    };
    const auto digits = [](std::string_view p) {
        return !p.empty() && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    const std::size_t dash = id.find('-');
    if (dash == std::string_view::npos)
        return std::nullopt;
    const std::string_view accelerator = id.substr(0, dash), region = id.substr(dash + 1);
    if (!lower_word(accelerator) || letters(accelerator) || digits(accelerator) || !(accelerator[0] >= 'a'))
        return std::nullopt;
    std::size_t parts = 0, at = 0;
    std::string_view last;
    while (at <= region.size()) {
        const std::size_t end = std::min(region.find('-', at), region.size());
        last = region.substr(at, end - at);
        ++parts;
        at = end + 1;
        if (at <= region.size() && !letters(last)) // every part but the last: letters
            return std::nullopt;
    }
    if (parts < 2 || !digits(last))
        return std::nullopt;
    return std::make_pair(std::string(accelerator), std::string(region));
}

std::string accelerator_family(std::string_view type)
{
    // VENDOR_MODEL[_MEMORY]: NVIDIA_H100_80GB, AMD_MI300X_192GB.
    const std::size_t first = type.find('_');
    if (first == std::string_view::npos)
        return {};
    const std::string_view vendor = type.substr(0, first);
    if (vendor != "NVIDIA" && vendor != "AMD" && vendor != "INTEL" && vendor != "GOOGLE")
        return {};
    const std::string_view model = type.substr(first + 1, type.find('_', first + 1) - first - 1);
    std::string out;
    for (char c : model) {
        if (c >= 'A' && c <= 'Z')
            out += static_cast<char>(c - 'A' + 'a');
        else if (c >= '0' && c <= '9')
            out += c;
        else
            return {};
    }
    return out;
}

std::string region_slug(std::string_view region)
{
    // US_IOWA_1 -> us-iowa-1; the enum's words and a number.
    std::string out;
    for (char c : region) {
        if (c >= 'A' && c <= 'Z')
            out += static_cast<char>(c - 'A' + 'a');
        else if (c >= '0' && c <= '9')
            out += c;
        else if (c == '_' && !out.empty() && out.back() != '-')
            out += '-';
        else
            return {};
    }
    return gpu_quota("a1-" + out) ? out : std::string();
}

std::optional<double> projected_month_end(double month_to_date, double now)
{
    const UtcMonth m = utc_month_of(static_cast<std::int64_t>(std::floor(now)));
    const double elapsed = now - static_cast<double>(m.start);
    if (elapsed < 86400 || !(month_to_date >= 0) || !std::isfinite(month_to_date))
        return std::nullopt;
    return month_to_date * (static_cast<double>(m.end - m.start) / elapsed);
}

std::string utc_month(double now)
{
    return utc_month_of(static_cast<std::int64_t>(std::floor(now))).name;
}

} // namespace fwm::fleet
