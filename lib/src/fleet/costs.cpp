#include "fleet/costs.hpp"

#include <rapidjson/writer.h>

#include "fleet/capacity.hpp"
#include "fleet/rfc3339.hpp"
#include "util/ascii.hpp"
#include "util/json_sink.hpp"
#include "util/text.hpp"

namespace fwm::fleet {

namespace {

std::string text_or_empty(const rapidjson::Value& v, const char* name, const std::string& where, Problems& problems)
{
    return text_field(v, name, where, kMaxTextBytes, problems).value_or("");
}

bool read_row(const rapidjson::Value& v, std::size_t index, RatedRow& row, Problems& problems)
{
    const std::string where = "rows[" + std::to_string(index) + "]";
    if (!v.IsObject()) {
        problems.add(where + ": not a mapping");
        return false;
    }
    auto amount = money_field(v, "subtotal", where, problems);
    if (!amount) {
        problems.add(where + ": no usable subtotal");
        return false;
    }
    row.amount = std::move(*amount);
    if (const auto* d = object_member(v, "dimensions", where, problems)) {
        const std::string w = where + ".dimensions";
        if (auto t = text_field(*d, "startTime", w, 64, problems)) {
            if (auto at = parse_rfc3339(*t))
                row.day = utc_day_start(static_cast<std::int64_t>(*at)).substr(0, 10);
            else
                problems.add(w + ".startTime: \"" + *t + "\" is not an RFC 3339 time");
        }
        row.model = text_or_empty(*d, "model", w, problems);
        row.api_key_id = text_or_empty(*d, "apiKeyId", w, problems);
        if (row.api_key_id.empty())
            row.api_key_id = text_or_empty(*d, "api_key_id", w, problems);
        row.user = text_or_empty(*d, "user", w, problems);
    }
    return true;
}

bool read_line(const rapidjson::Value& v, std::size_t index, BillingLine& line, Problems& problems)
{
    const std::string where = "lineItems[" + std::to_string(index) + "]";
    if (!v.IsObject()) {
        problems.add(where + ": not a mapping");
        return false;
    }
    auto total = money_field(v, "totalCost", where, problems);
    if (!total) {
        problems.add(where + ": no usable totalCost");
        return false;
    }
    line.total = std::move(*total);
    line.category = text_or_empty(v, "category", where, problems);
    line.grouping_key = text_or_empty(v, "groupingKey", where, problems);
    line.grouping_value = text_or_empty(v, "groupingValue", where, problems);
    line.secondary_grouping_key = text_or_empty(v, "secondaryGroupingKey", where, problems);
    line.secondary_grouping_value = text_or_empty(v, "secondaryGroupingValue", where, problems);
    line.quantity = number_field(v, "quantity", where, problems);
    line.unit_amount = money_field(v, "unitAmount", where, problems);
    return true;
}

} // namespace

std::string costs_query(std::string_view scope, std::string_view dimension, std::string_view start,
                        std::string_view end, std::string_view page_token, unsigned page_size)
{
    std::string out;
    {
        util::StringSink sink{out};
        rapidjson::Writer<util::StringSink> w(sink);
        const auto text = [&](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
        w.StartObject();
        w.Key("scope");
        text(scope);
        w.Key("groupBy");
        w.StartArray();
        text("DAY");
        text(dimension);
        w.EndArray();
        w.Key("startTime");
        text(start);
        w.Key("endTime");
        text(end);
        w.Key("pageSize");
        w.Uint(page_size);
        if (!page_token.empty()) {
            w.Key("pageToken");
            text(page_token);
        }
        w.EndObject();
    }
    return out;
}

CostsPage parse_costs_page(std::string_view json, std::size_t max_rows)
{
    CostsPage page;
    AnswerParts parts;
    parts.lists = {"rows"};
    parts.members = {"nextPageToken", "subtotal", "evaluationTime", "attributionCompleteness"};
    read_list_into(parts, page.rows, max_rows, page.skipped, page.problems, "cost rows",
                   [&](const rapidjson::Value& v, std::size_t index, RatedRow& row) {
                       return read_row(v, index, row, page.problems);
                   });
    parts.member = [&](std::size_t i, const rapidjson::Value& v) {
        if (i == 0) {
            page.next_page_token = page_token(v, "the usage costs answer", 4096, page.problems);
            return;
        }
        // One-member wrapper so the field readers apply to a top-level value.
        rapidjson::Value holder(rapidjson::kObjectType);
        rapidjson::MemoryPoolAllocator<> pool;
        rapidjson::Value copy(v, pool);
        holder.AddMember(rapidjson::StringRef(parts.members[i]), copy, pool);
        if (i == 1)
            page.subtotal = money_field(holder, "subtotal", "answer", page.problems);
        else if (i == 2) {
            if (auto t = text_field(holder, "evaluationTime", "answer", 64, page.problems)) {
                page.evaluation_time = parse_rfc3339(*t);
                if (!page.evaluation_time)
                    page.problems.add("evaluationTime: \"" + *t + "\" is not an RFC 3339 time");
            }
        } else {
            page.attribution_completeness = text_field(holder, "attributionCompleteness", "answer", 64, page.problems).value_or("");
        }
    };
    read_answer(json, "the usage costs answer", parts);
    return page;
}

BillingSummary parse_billing_summary(std::string_view json, std::size_t max_lines)
{
    BillingSummary b;
    AnswerParts parts;
    parts.lists = {"lineItems"};
    read_list_into(parts, b.lines, max_lines, b.skipped, b.problems, "billing line items",
                   [&](const rapidjson::Value& v, std::size_t index, BillingLine& line) {
                       return read_line(v, index, line, b.problems);
                   });
    read_answer(json, "the billing summary answer", parts);
    return b;
}

namespace {

bool has_word(const std::string& category, std::string_view word)
{
    return util::ascii_lower(category).find(word) != std::string::npos;
}

} // namespace

std::map<std::string, Price> prices_from_billing(const std::vector<BillingLine>& lines)
{
    // Deployments are billed per accelerator-hour on dedicated lines: those
    // first; then other lines but training's (a training price is not a
    // deployment's), each type's first line winning.
    std::map<std::string, Price> out;
    for (const bool dedicated : {true, false})
        for (const auto& line : lines) {
            if (!line.unit_amount || !(line.unit_amount->value() > 0) || has_word(line.category, "train") ||
                (has_word(line.category, "dedicated") || has_word(line.category, "deployment")) != dedicated)
                continue;
            for (const std::string* type : {&line.grouping_value, &line.secondary_grouping_value})
                if (!accelerator_family(*type).empty())
                    out.emplace(*type, Price{line.unit_amount->value(), line.unit_amount->currency()});
        }
    return out;
}

} // namespace fwm::fleet
