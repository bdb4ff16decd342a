// The C ABI as a caller sees it: linked against the shared library itself.
#define BOOST_TEST_MODULE fwm_abi
// The module's file: it names the module. The framework is Debian's
// library, or in portable builds cpp/boost_test_framework.cpp.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "fwm/fwm.h"

namespace {

struct Result {
    fwm_result* r = nullptr;
    fwm_status status = FWM_OK;
    Result(const std::string& text, const char* options)
    {
        status = fwm_parse(text.data(), text.size(), options, &r);
    }
    ~Result() { fwm_result_free(r); }
    std::string summary() const
    {
        const char* p = nullptr;
        size_t n = 0;
        BOOST_TEST(fwm_result_summary(r, &p, &n) == FWM_OK);
        return {p, n};
    }
    std::string samples() const
    {
        const char* p = nullptr;
        size_t n = 0;
        BOOST_TEST(fwm_result_samples(r, &p, &n) == FWM_OK);
        return {p, n};
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(runtime_version_matches_header)
{
    BOOST_TEST(fwm_version_number() == static_cast<unsigned>(FWM_VERSION_NUMBER));
    BOOST_TEST(std::string(fwm_version_string()) == FWM_VERSION_STRING);
}

BOOST_AUTO_TEST_CASE(status_names_are_stable)
{
    BOOST_TEST(std::string(fwm_status_name(FWM_OK)) == "FWM_OK");
    BOOST_TEST(std::string(fwm_status_name(FWM_ERR_INVALID_OPTIONS)) == "FWM_ERR_INVALID_OPTIONS");
    BOOST_TEST(std::string(fwm_status_name(5)) == "FWM_ERR_PAYLOAD_TOO_LARGE");
    BOOST_TEST(std::string(fwm_status_name(-1)) == "FWM_UNKNOWN");
    BOOST_TEST(std::string(fwm_status_name(9999)) == "FWM_UNKNOWN");
    BOOST_TEST(std::strlen(fwm_status_string(FWM_ERR_OUT_OF_MEMORY)) > 0u);
}

BOOST_AUTO_TEST_CASE(parse_returns_summary_and_samples)
{
    Result r("# TYPE up gauge\nup{job=\"a\\\"b\"} 1 1000\nbad{\nnan_metric NaN\ninf_metric -Inf\n", "{\"samples\":true}");
    BOOST_TEST(r.status == FWM_OK);
    BOOST_TEST(std::string(fwm_result_message(r.r)).empty());
    BOOST_TEST(r.summary() ==
               "{\"format\":\"prometheus\",\"lines\":5,\"samples\":3,\"families\":1,\"exemplars\":0,\"eof\":false,"
               "\"invalid_lines\":1,\"errors\":[{\"line\":3,\"reason\":\"unterminated label set at end of line\"}],"
                       "\"mapping\":null}");
    BOOST_TEST(r.samples() ==
               "{\"name\":\"up\",\"labels\":{\"job\":\"a\\\"b\"},\"value\":1.0,\"timestamp\":1.0}\n"
               "{\"name\":\"nan_metric\",\"labels\":{},\"value\":\"NaN\",\"timestamp\":null}\n"
               "{\"name\":\"inf_metric\",\"labels\":{},\"value\":\"-Inf\",\"timestamp\":null}\n");
}

BOOST_AUTO_TEST_CASE(samples_buffer_is_empty_unless_asked)
{
    Result r("up 1\n", nullptr);
    BOOST_TEST(r.status == FWM_OK);
    BOOST_TEST(r.samples().empty());
}

BOOST_AUTO_TEST_CASE(samples_carry_exemplars)
{
    Result r("a_total 1 # {id=\"x\"} 2 3.5\n# EOF\n", "{\"samples\":true}");
    BOOST_TEST(r.samples() ==
               "{\"name\":\"a_total\",\"labels\":{},\"value\":1.0,\"timestamp\":null,"
               "\"exemplar\":{\"labels\":{\"id\":\"x\"},\"value\":2.0,\"timestamp\":3.5}}\n");
}

BOOST_AUTO_TEST_CASE(unknown_option_is_rejected_by_name)
{
    Result r("up 1\n", "{\"sampels\":true}");
    BOOST_TEST(r.status == FWM_ERR_INVALID_OPTIONS);
    BOOST_TEST(std::string(fwm_result_message(r.r)) == "unknown option 'sampels'");
}

BOOST_AUTO_TEST_CASE(wrong_option_type_names_the_option)
{
    Result r("up 1\n", "{\"format\":3}");
    BOOST_TEST(r.status == FWM_ERR_INVALID_OPTIONS);
    BOOST_TEST(std::string(fwm_result_message(r.r)) == "option 'format' must be a string, not a number");
    Result bad("up 1\n", "{\"format\":\"csv\"}");
    BOOST_TEST(std::string(fwm_result_message(bad.r)) ==
               "option 'format' must be \"auto\", \"prometheus\" or \"openmetrics\", not \"csv\"");
}

BOOST_AUTO_TEST_CASE(malformed_options_json_is_rejected)
{
    Result r("up 1\n", "{\"samples\":");
    BOOST_TEST(r.status == FWM_ERR_INVALID_OPTIONS);
    BOOST_TEST(std::string(fwm_result_message(r.r)).rfind("options are not valid JSON", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(null_arguments_are_rejected_without_crashing)
{
    BOOST_TEST(fwm_parse("x", 1, nullptr, nullptr) == FWM_ERR_INVALID_ARGUMENT);
    fwm_result* r = nullptr;
    BOOST_TEST(fwm_parse(nullptr, 5, nullptr, &r) == FWM_ERR_INVALID_ARGUMENT);
    BOOST_TEST(std::string(fwm_result_message(r)) == "data is NULL but size is not 0");
    fwm_result_free(r);
    BOOST_TEST(fwm_parse(nullptr, 0, nullptr, &r) == FWM_OK);
    fwm_result_free(r);
    const char* p = nullptr;
    size_t n = 0;
    BOOST_TEST(fwm_result_summary(nullptr, &p, &n) == FWM_ERR_INVALID_ARGUMENT);
    BOOST_TEST(std::string(fwm_result_message(nullptr)).empty());
    fwm_result_free(nullptr);
}

BOOST_AUTO_TEST_CASE(deeply_nested_json_is_refused_without_exhausting_the_stack)
{
    // A million levels: a recursive parser would overflow any thread's stack.
    const std::string nest = std::string(1000000, '[') + std::string(1000000, ']');
    fwm_client* c = nullptr;
    BOOST_TEST(fwm_client_create(("{\"api_key\":\"k\",\"account_id\":\"a\",\"mapping\":" + nest + "}").c_str(), &c) ==
               FWM_ERR_INVALID_OPTIONS);
    BOOST_TEST(std::string(fwm_client_message(c)) == "the mapping options must be a mapping");
    fwm_client_free(c);
    Result r("up 1\n", ("{\"mapping\":" + nest + "}").c_str());
    BOOST_TEST(r.status == FWM_ERR_INVALID_OPTIONS);
    BOOST_TEST_REQUIRE(fwm_client_create("{\"api_key\":\"k\",\"account_id\":\"a\",\"timeout\":0.5,"
                                         "\"openmetrics_endpoint\":\"http://127.0.0.1:1/m\"}",
                                         &c) == FWM_OK);
    fwm_result* res = nullptr;
    BOOST_TEST(fwm_client_collect(c, ("{\"samples\":" + nest + "}").c_str(), &res) == FWM_ERR_INVALID_OPTIONS);
    BOOST_TEST(std::string(fwm_result_message(res)) == "option 'samples' must be a boolean, not a list");
    fwm_result_free(res);
    fwm_client_free(c);
}

BOOST_AUTO_TEST_CASE(submissions_come_in_batches_until_an_empty_one)
{
    const char* p = nullptr;
    size_t n = 0;
    const double* v = nullptr;
    size_t count = 0;
    BOOST_TEST(fwm_result_next_batch(nullptr, &p, &n, &v, &count) == FWM_ERR_INVALID_ARGUMENT);
    // Without a mapping: no batch at all.
    Result plain("up 1\n", nullptr);
    BOOST_TEST(fwm_result_next_batch(plain.r, nullptr, &n, &v, &count) == FWM_ERR_INVALID_ARGUMENT);
    BOOST_TEST(fwm_result_next_batch(plain.r, &p, &n, nullptr, &count) == FWM_ERR_INVALID_ARGUMENT);
    BOOST_TEST(fwm_result_next_batch(plain.r, &p, &n, &v, &count) == FWM_OK);
    BOOST_TEST(n == 0u);
    BOOST_TEST(count == 0u);

    // 3,000 deployments of one gauge: 3,000 groups, a batch per 4,096 points.
    std::string payload;
    for (int i = 0; i < 3000; ++i)
        payload += "generator_kv_slots_fraction:avg_by_deployment{deployment_id=\"d" + std::to_string(i) + "\"} " +
                   std::to_string(i) + ".5\n";
    Result r(payload, "{\"mapping\":{}}");
    BOOST_TEST_REQUIRE(r.status == FWM_OK);
    std::string all;
    int batches = 0;
    std::vector<double> values;
    for (;;) {
        BOOST_TEST_REQUIRE(fwm_result_next_batch(r.r, &p, &n, &v, &count) == FWM_OK);
        if (n == 0)
            break;
        values.insert(values.end(), v, v + count);
        ++batches;
        const std::string batch(p, n);
        BOOST_TEST(batch.rfind("{\"names\":[\"fireworks.kv_cache.slots_used\"],\"groups\":[", 0) == 0u);
        BOOST_TEST(batch.substr(batch.size() - 2) == "]}");
        all += batch;
    }
    BOOST_TEST(batches == 1); // 3,000 points fit one batch
    std::size_t groups = 0;
    for (std::size_t at = all.find("[[\"deployment_id:"); at != std::string::npos;
         at = all.find("[[\"deployment_id:", at + 1))
        ++groups;
    BOOST_TEST(groups == 3000u);
    BOOST_TEST(all.find("[[\"deployment_id:d7\"],[0],[],[]]") != std::string::npos);
    // The values, in the order of the groups: one gauge each.
    BOOST_TEST_REQUIRE(values.size() == 3000u);
    for (std::size_t i = 0; i < values.size(); ++i)
        BOOST_TEST(values[i] == static_cast<double>(i) + 0.5);
    // Exhausted: stays empty, never an error.
    BOOST_TEST(fwm_result_next_batch(r.r, &p, &n, &v, &count) == FWM_OK);
    BOOST_TEST(n == 0u);
    BOOST_TEST(count == 0u);
    BOOST_TEST(r.summary().find("\"points\":3000") != std::string::npos);
}
