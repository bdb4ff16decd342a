// Every option of the table that the library reads, through the C ABI as
// the shim calls it: each bound and default is accepted, and a value past a
// bound, of the wrong type, a fraction of an integer, negative zero below a
// positive bound or a number no option holds is refused with a message that
// names the option. The rows are spec.yaml's: an option added there is tested
// here without a line more.
#define BOOST_TEST_MODULE fwm_option_table
// The module's file: it names the module.
#include <boost/test/unit_test.hpp>

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "fwm/fwm.h"
#include "http/config.hpp"
#include "options/table.gen.hpp"

namespace {

using fwm::options::OptionSpec;
using fwm::options::Reader;
using fwm::options::Section;
using fwm::options::Type;

std::vector<const OptionSpec*> library_rows()
{
    std::vector<const OptionSpec*> out{&fwm::http::kRefreshPeriod, &fwm::http::kMaxAttempts};
    for (const OptionSpec& row : fwm::options::kTable)
        if (row.section == Section::instances &&
            (row.reader == Reader::client || row.reader == Reader::fleet || row.reader == Reader::mapping))
            out.push_back(&row);
    return out;
}

std::string json_number(double d)
{
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, d); // shortest: reads back as d
    return std::string(buf, r.ptr);
}

// A client configuration with `value` (JSON) as the row's option, where its
// reader looks for it: at the top, in "fleet" or in "mapping".
std::string config_with(const OptionSpec& row, const std::string& value)
{
    std::string out = "{";
    for (const char* base : {"\"api_key\":\"k\"", "\"account_id\":\"acme\"",
                             "\"openmetrics_endpoint\":\"http://127.0.0.1:1/m\""}) {
        if (std::string(base).find("\"" + std::string(row.name) + "\"") != 0)
            out += std::string(base) + ",";
    }
    const std::string member = "\"" + std::string(row.name) + "\":" + value;
    if (row.reader == Reader::client)
        return out + member + "}";
    return out + (row.reader == Reader::fleet ? "\"fleet\":{" : "\"mapping\":{") + member + "}}";
}

struct Outcome {
    fwm_status status;
    std::string message;
};

Outcome create(const std::string& json)
{
    fwm_client* c = nullptr;
    const fwm_status status = fwm_client_create(json.c_str(), &c);
    Outcome out{status, c ? fwm_client_message(c) : ""};
    fwm_client_free(c);
    return out;
}

void accepted(const OptionSpec& row, const std::string& value)
{
    const Outcome o = create(config_with(row, value));
    BOOST_TEST(o.status == FWM_OK, row.name << " = " << value << ": " << o.message);
}

// Refused, naming the option: never as an unknown one, never for another.
void refused(const OptionSpec& row, const std::string& value)
{
    const Outcome o = create(config_with(row, value));
    BOOST_TEST(o.status == FWM_ERR_INVALID_OPTIONS, row.name << " = " << value);
    BOOST_TEST(o.message.rfind("option '" + std::string(row.name) + "' ", 0) == 0u,
               row.name << " = " << value << ": " << o.message);
}

bool numeric(const OptionSpec& row)
{
    return row.type == Type::integer || row.type == Type::number;
}

} // namespace

BOOST_AUTO_TEST_CASE(each_bound_is_accepted_and_a_value_past_it_refused)
{
    for (const OptionSpec* row : library_rows()) {
        if (!numeric(*row))
            continue;
        const double step = row->type == Type::integer ? 1 : row->min > 0 ? row->min / 10 : 0.5;
        if (std::isfinite(row->min)) {
            accepted(*row, json_number(row->min));
            refused(*row, json_number(row->min - step));
        }
        accepted(*row, json_number(row->max));
        refused(*row, json_number(row->max + step));
        if (row->type == Type::integer)
            refused(*row, json_number(std::isfinite(row->min) ? row->min + 0.5 : row->max - 0.5));
    }
}

BOOST_AUTO_TEST_CASE(hostile_numbers_are_refused_naming_the_option)
{
    for (const OptionSpec* row : library_rows()) {
        if (!numeric(*row))
            continue;
        for (const char* value : {"123456789012345678901234567890", "1e308", "-1e308", "\"5\"", "null", "[5]", "true"})
            refused(*row, value);
        if (row->min > 0 || !std::isfinite(row->min))
            refused(*row, "-0.0");
        // Past a double: not JSON the library can read, refused as such.
        const Outcome o = create(config_with(*row, "1e400"));
        BOOST_TEST(o.status == FWM_ERR_INVALID_OPTIONS);
        BOOST_TEST(o.message.rfind("the client configuration is not valid JSON", 0) == 0u, o.message);
    }
}

BOOST_AUTO_TEST_CASE(each_type_is_checked_naming_the_option)
{
    for (const OptionSpec* row : library_rows()) {
        switch (row->type) {
        case Type::boolean:
            accepted(*row, "true");
            accepted(*row, "false");
            for (const char* value : {"1", "\"true\"", "null", "{}"})
                refused(*row, value);
            break;
        case Type::string:
            for (const char* value : {"5", "true", "[\"a\"]"})
                refused(*row, value);
            break;
        case Type::array:
            refused(*row, "\"a\"");
            refused(*row, "[5]");
            break;
        case Type::object:
            refused(*row, "[]");
            refused(*row, "5");
            break;
        default:
            break;
        }
    }
}

BOOST_AUTO_TEST_CASE(each_default_is_a_value_its_reader_accepts)
{
    for (const OptionSpec* row : library_rows()) {
        if (!row->has_default)
            continue;
        if (row->type == Type::boolean) {
            accepted(*row, row->flag ? "true" : "false");
        } else if (numeric(*row)) {
            accepted(*row, json_number(row->number));
        } else if (row->type == Type::string) {
            accepted(*row, "\"" + std::string(row->text) + "\"");
        } else {
            std::string list = "[";
            for (double d : row->numbers)
                list += (list.size() > 1 ? "," : "") + json_number(d);
            accepted(*row, list + "]");
        }
    }
}
