// The C ABI: thin trampolines from fwm.h to the C++ core. Every function
// catches everything, because an exception escaping into ctypes kills the
// Agent. Error text is owned by the handle it describes.
#include "fwm/fwm.h"

#include <cstdint>
#include <new>
#include <string>

#include "abi/option_error.hpp"
#include "abi/parse_options.hpp"
#include "abi/result_json.hpp"
#include "parser/parser.hpp"

struct fwm_result_s {
    std::string message;
    std::string summary;
    std::string samples;
};

namespace {

struct StatusInfo {
    const char* name;
    const char* text;
};

constexpr StatusInfo kStatuses[] = {
    {"FWM_OK", "success"},
    {"FWM_ERR_INVALID_ARGUMENT", "invalid argument: a required pointer is NULL or a size is impossible"},
    {"FWM_ERR_INVALID_OPTIONS", "invalid options: the message names the option and what is wrong"},
    {"FWM_ERR_OUT_OF_MEMORY", "out of memory"},
    {"FWM_ERR_INTERNAL", "internal error in the fwm library"},
    {"FWM_ERR_PAYLOAD_TOO_LARGE", "payload too large: at most 4 GiB - 1 byte can be parsed"},
};

const StatusInfo* status_info(int status)
{
    if (status < 0 || static_cast<std::size_t>(status) >= std::size(kStatuses))
        return nullptr;
    return &kStatuses[status];
}

fwm_status fail(fwm_result* r, fwm_status status, const char* message) noexcept
{
    try {
        r->message = message;
    } catch (...) {
        // The status alone still tells the caller what happened.
    }
    return status;
}

} // namespace

extern "C" {

FWM_API unsigned fwm_version_number(void)
{
    return FWM_VERSION_NUMBER;
}

FWM_API const char* fwm_version_string(void)
{
    return FWM_VERSION_STRING;
}

FWM_API const char* fwm_status_name(int status)
{
    const StatusInfo* info = status_info(status);
    return info ? info->name : "FWM_UNKNOWN";
}

FWM_API const char* fwm_status_string(int status)
{
    const StatusInfo* info = status_info(status);
    return info ? info->text : "unknown status code";
}

FWM_API fwm_status fwm_parse(const char* data, size_t size, const char* options_json, fwm_result** result)
{
    if (result == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    *result = nullptr;
    fwm_result* r = new (std::nothrow) fwm_result_s();
    if (r == nullptr)
        return FWM_ERR_OUT_OF_MEMORY;
    *result = r;
    if (data == nullptr && size != 0)
        return fail(r, FWM_ERR_INVALID_ARGUMENT, "data is NULL but size is not 0");
    if (size > UINT32_MAX - 1)
        return fail(r, FWM_ERR_PAYLOAD_TOO_LARGE, "payload over 4 GiB - 1 byte");
    try {
        const fwm::abi::ParseRequest request = fwm::abi::read_parse_options(options_json);
        const auto parsed = fwm::parser::parse({data == nullptr ? "" : data, size}, request.parse);
        r->summary = fwm::abi::summary_json(parsed);
        if (request.samples)
            r->samples = fwm::abi::samples_json_lines(parsed);
        return FWM_OK;
    } catch (const fwm::abi::OptionError& e) {
        return fail(r, FWM_ERR_INVALID_OPTIONS, e.what());
    } catch (const std::bad_alloc&) {
        return fail(r, FWM_ERR_OUT_OF_MEMORY, "out of memory while parsing");
    } catch (const std::exception& e) {
        return fail(r, FWM_ERR_INTERNAL, e.what());
    } catch (...) {
        return fail(r, FWM_ERR_INTERNAL, "unknown exception in fwm_parse");
    }
}

FWM_API const char* fwm_result_message(const fwm_result* result)
{
    return result ? result->message.c_str() : "";
}

FWM_API fwm_status fwm_result_summary(const fwm_result* result, const char** json, size_t* size)
{
    if (result == nullptr || json == nullptr || size == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    *json = result->summary.data();
    *size = result->summary.size();
    return FWM_OK;
}

FWM_API fwm_status fwm_result_samples(const fwm_result* result, const char** json_lines, size_t* size)
{
    if (result == nullptr || json_lines == nullptr || size == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    *json_lines = result->samples.data();
    *size = result->samples.size();
    return FWM_OK;
}

FWM_API void fwm_result_free(fwm_result* result)
{
    delete result;
}

} // extern "C"
