#include "mapping/options.hpp"

#include <cmath>
#include <cstdio>

#include "util/option_reader.hpp"

namespace fwm::mapping {
namespace {

using util::OptionError;
using Value = rapidjson::Value;
using util::option_bool;
using util::option_wrong;

constexpr std::size_t kMaxPatterns = 256; // per option


std::vector<std::string> strings(const std::string& name, const Value& v)
{
    if (v.IsNull())
        return {};
    if (!v.IsArray())
        option_wrong(name, "must be a list of strings");
    std::vector<std::string> out;
    for (const auto& e : v.GetArray()) {
        if (!e.IsString())
            option_wrong(name, "must be a list of strings");
        out.emplace_back(e.GetString(), e.GetStringLength());
    }
    return out;
}

std::vector<Pattern> patterns(const std::string& name, const Value& v)
{
    std::vector<Pattern> out;
    auto texts = strings(name, v);
    if (texts.size() > kMaxPatterns)
        option_wrong(name, "holds more than " + std::to_string(kMaxPatterns) + " patterns");
    for (auto& text : texts)
        out.emplace_back(name, std::move(text));
    return out;
}

} // namespace

std::string quantile_suffix(double q)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", q * 100);
    std::string s = std::string("p") + buf;
    for (char& c : s)
        if (c == '.')
            c = '_';
    return s;
}

MappingOptions read_mapping_options(const Value* v)
{
    MappingOptions o;
    if (v == nullptr || v->IsNull())
        return o;
    if (!v->IsObject())
        throw OptionError("the mapping options must be a mapping");
    // Index loops: clang reads RapidJSON's iterator comparisons as ambiguous in C++20.
    for (rapidjson::SizeType i = 0; i < v->MemberCount(); ++i) {
        const auto& member = *(v->MemberBegin() + i);
        const std::string name(member.name.GetString(), member.name.GetStringLength());
        const Value& x = member.value;
        if (name == "quantiles") {
            if (!x.IsArray())
                option_wrong(name, "must be a list of numbers between 0 and 1");
            o.quantiles.clear();
            for (const auto& q : x.GetArray()) {
                if (!q.IsNumber() || !(q.GetDouble() >= 0 && q.GetDouble() <= 1))
                    option_wrong(name, "must be a list of numbers between 0 and 1");
                o.quantiles.push_back(q.GetDouble());
            }
        } else if (name == "histogram_buckets_as_distributions") {
            o.distributions = option_bool(name, x);
        } else if (name == "rates_as_counts") {
            o.rates_as_counts = option_bool(name, x);
        } else if (name == "metrics") {
            o.metrics = patterns(name, x);
        } else if (name == "exclude_metrics") {
            o.exclude_metrics = patterns(name, x);
        } else if (name == "exclude_labels") {
            o.exclude_labels = strings(name, x);
        } else if (name == "deployments") {
            if (x.IsNull())
                continue;
            if (!x.IsObject())
                option_wrong(name, "must be a mapping with include and exclude lists");
            for (rapidjson::SizeType k = 0; k < x.MemberCount(); ++k) {
                const auto& d = *(x.MemberBegin() + k);
                const std::string key(d.name.GetString(), d.name.GetStringLength());
                if (key == "include")
                    o.deployments_include = patterns("deployments.include", d.value);
                else if (key == "exclude")
                    o.deployments_exclude = patterns("deployments.exclude", d.value);
                else
                    option_wrong("deployments." + key.substr(0, 32), "is unknown (expected include or exclude)");
            }
        } else if (name == "tags") {
            o.tags = strings(name, x);
        } else if (name == "min_collection_interval") {
            if (!x.IsNumber() || !(x.GetDouble() > 0 && x.GetDouble() <= 86400))
                option_wrong(name, "must be a number of seconds above 0");
            o.min_collection_interval = x.GetDouble();
        } else if (name == "account_id") {
            o.account_id = util::option_string(name, x);
        } else {
            throw OptionError("unknown option '" + name.substr(0, 64) + "'");
        }
    }
    return o;
}

} // namespace fwm::mapping
