#include "abi_support.hpp"

#include <rapidjson/document.h>

#include "client_support.hpp"
#include "util/text.hpp"

namespace fwm::test {
namespace {

std::string buffer(fwm_status (*fn)(const fwm_result*, const char**, size_t*), const fwm_result* r)
{
    const char* p = nullptr;
    size_t n = 0;
    if (fn(r, &p, &n) != FWM_OK)
        return "<unreadable>";
    return {p, n};
}

Outcome read(fwm_status status, fwm_result* r, std::chrono::steady_clock::time_point started)
{
    Outcome o;
    o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    o.status = status;
    o.has_result = r != nullptr;
    if (r) {
        o.message = fwm_result_message(r);
        o.summary = buffer(fwm_result_summary, r);
        o.samples = buffer(fwm_result_samples, r);
        // Every batch, as one JSON array of batches.
        const char* p = nullptr;
        std::size_t n = 0;
        const double* values = nullptr;
        std::size_t count = 0;
        o.submissions = "[";
        while (fwm_result_next_batch(r, &p, &n, &values, &count) == FWM_OK && n > 0) {
            if (o.submissions.size() > 1)
                o.submissions += ',';
            o.submissions.append(p, n);
            for (std::size_t i = 0; i < count; ++i)
                o.values.push_back(values[i]);
        }
        o.submissions += ']';
        fwm_result_free(r);
    }
    return o;
}

} // namespace

Outcome collect(fwm_client* client)
{
    const auto started = std::chrono::steady_clock::now();
    fwm_result* r = nullptr;
    const fwm_status status = fwm_client_collect(client, nullptr, &r);
    return read(status, r, started);
}

Outcome parse(const std::string& payload, const std::string& options_json)
{
    const auto started = std::chrono::steady_clock::now();
    fwm_result* r = nullptr;
    const fwm_status status = fwm_parse(payload.data(), payload.size(), options_json.c_str(), &r);
    return read(status, r, started);
}

std::string abi_config(const std::string& url, double timeout_s, const std::string& account, const std::string& extra)
{
    std::string json = "{\"openmetrics_endpoint\":\"" + url + "\",\"api_key\":\"" + kTortureKey +
                       "\",\"account_id\":\"" + account + "\",\"tls_ca_cert\":\"" + pki().ca_cert +
                       "\",\"max_requests_per_minute\":6,\"timeout\":" + std::to_string(timeout_s);
    if (!extra.empty())
        json += "," + extra;
    return json + "}";
}

bool valid_json(const std::string& json)
{
    if (json.empty())
        return true;
    if (!util::valid_utf8(json))
        return false;
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseNanAndInfFlag | rapidjson::kParseValidateEncodingFlag>(json.c_str(), json.size());
    return !doc.HasParseError();
}

std::string problems(const Outcome& o)
{
    std::string out;
    if (!(o.status >= FWM_OK && o.status <= FWM_ERR_CANCELLED))
        out += "unknown status " + std::to_string(o.status) + "; ";
    if (!clean_message(o.message))
        out += "message not clean: " + util::clean_text(o.message, 200) + "; ";
    if (!valid_json(o.summary))
        out += "summary is not JSON: " + util::clean_text(o.summary, 200) + "; ";
    if (!valid_json(o.submissions))
        out += "submissions are not JSON: " + util::clean_text(o.submissions, 200) + "; ";
    if (!util::valid_utf8(o.samples))
        out += "samples are not UTF-8; ";
    for (const std::string* s : {&o.message, &o.summary, &o.submissions})
        if (s->find(kTortureKey) != std::string::npos)
            out += "the key leaked; ";
    return out;
}

void check_sane(const Outcome& o)
{
    const std::string p = problems(o);
    BOOST_TEST(p.empty(), p);
}

} // namespace fwm::test
