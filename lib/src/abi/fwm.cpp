// The C ABI: thin trampolines from fwm.h to the C++ core (as Datadog's
// rtloader does it). Every function catches everything, because an
// exception escaping into ctypes kills the Agent. Error text is owned by the
// result or handle it describes.
#include "fwm/fwm.h"

#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include "abi/handles.hpp"
#include "collector/collector.hpp"
#include "util/option_error.hpp"
#include "util/status.hpp"

struct fwm_result_s {
    fwm::collector::Result r;
};

namespace {

using fwm::abi::ClientEntry;

// A result carrying only a status and its message (no allocation may be
// possible: then the caller gets the status alone).
fwm_status early(fwm_result** result, fwm_status status, const char* message) noexcept
{
    try {
        *result = new fwm_result_s();
        (*result)->r.status = status;
        (*result)->r.message = message;
    } catch (...) {
    }
    return status;
}

fwm_status handed_over(fwm_result** result, fwm::collector::Result&& r) noexcept
{
    const auto status = static_cast<fwm_status>(r.status);
    *result = new (std::nothrow) fwm_result_s{std::move(r)};
    return *result ? status : FWM_ERR_OUT_OF_MEMORY;
}

fwm_status buffer(const fwm_result* result, const std::string fwm::collector::Result::*member, const char** data,
                  size_t* size) noexcept
{
    if (result == nullptr || data == nullptr || size == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    const std::string& s = result->r.*member;
    *data = s.data();
    *size = s.size();
    return FWM_OK;
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
    return fwm::util::status_name(status);
}

FWM_API const char* fwm_status_string(int status)
{
    return fwm::util::status_text(status);
}

FWM_API fwm_status fwm_parse(const char* data, size_t size, const char* options_json, fwm_result** result)
{
    if (result == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    *result = nullptr;
    if (data == nullptr && size != 0)
        return early(result, FWM_ERR_INVALID_ARGUMENT, "data is NULL but size is not 0");
    if (size > UINT32_MAX - 1)
        return early(result, FWM_ERR_PAYLOAD_TOO_LARGE, "payload over 4 GiB - 1 byte");
    return handed_over(result, fwm::collector::parse_once({data == nullptr ? "" : data, size}, options_json));
}

FWM_API const char* fwm_result_message(const fwm_result* result)
{
    return result ? result->r.message.c_str() : "";
}

FWM_API fwm_status fwm_result_summary(const fwm_result* result, const char** json, size_t* size)
{
    return buffer(result, &fwm::collector::Result::summary, json, size);
}

FWM_API fwm_status fwm_result_samples(const fwm_result* result, const char** json_lines, size_t* size)
{
    return buffer(result, &fwm::collector::Result::samples, json_lines, size);
}

FWM_API fwm_status fwm_result_next_batch(fwm_result* result, const char** json, size_t* size, const double** values,
                                         size_t* count)
{
    if (result == nullptr || json == nullptr || size == nullptr || values == nullptr || count == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    static const double kNone = 0;
    *json = "";
    *size = 0;
    *values = &kNone;
    *count = 0;
    try {
        auto& r = result->r;
        if (r.submissions && r.submissions->next_batch(r.batch, r.batch_values)) {
            *json = r.batch.data();
            *size = r.batch.size();
            *values = r.batch_values.data();
            *count = r.batch_values.size();
        } else {
            r.submissions.reset(); // all handed over: free them now
            std::string().swap(r.batch);
            std::vector<double>().swap(r.batch_values);
        }
        return FWM_OK;
    } catch (const std::bad_alloc&) {
        return FWM_ERR_OUT_OF_MEMORY;
    } catch (...) {
        return FWM_ERR_INTERNAL;
    }
}

FWM_API void fwm_result_free(fwm_result* result)
{
    delete result;
}

FWM_API fwm_status fwm_client_create(const char* config_json, fwm_client** client)
{
    if (client == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    *client = nullptr;
    try {
        auto entry = std::make_shared<ClientEntry>();
        fwm_status status = FWM_OK;
        try {
            entry->collector = std::make_shared<fwm::collector::Collector>(config_json);
        } catch (const fwm::util::OptionError& e) {
            status = FWM_ERR_INVALID_OPTIONS;
            entry->message = e.what();
        } catch (const std::bad_alloc&) {
            status = FWM_ERR_OUT_OF_MEMORY;
            entry->message = "out of memory";
        } catch (const std::exception& e) {
            status = FWM_ERR_INTERNAL;
            entry->message = fwm::util::clean_text(std::string("fwm_client_create: ") + e.what());
        }
        *client = fwm::abi::add_client(std::move(entry));
        return status;
    } catch (...) {
        return FWM_ERR_OUT_OF_MEMORY;
    }
}

FWM_API const char* fwm_client_message(const fwm_client* client)
{
    try {
        // The entry stays in the table until fwm_client_free, so the text does too.
        const auto entry = fwm::abi::find_client(client);
        return entry ? entry->message.c_str() : "";
    } catch (...) {
        return "";
    }
}

FWM_API fwm_status fwm_client_collect(fwm_client* client, const char* options_json, fwm_result** result)
{
    if (client == nullptr || result == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    *result = nullptr;
    std::shared_ptr<ClientEntry> entry;
    try {
        entry = fwm::abi::find_client(client); // held until this call returns, whatever frees the handle
    } catch (...) {
        return early(result, FWM_ERR_OUT_OF_MEMORY, "out of memory");
    }
    if (!entry)
        return early(result, FWM_ERR_INVALID_ARGUMENT, "unknown client handle: it was freed, or never created");
    if (!entry->collector)
        return early(result, FWM_ERR_INVALID_ARGUMENT, "this client was not created: see fwm_client_message");
    return handed_over(result, entry->collector->collect(options_json));
}

FWM_API void fwm_client_free(fwm_client* client)
{
    try {
        const auto entry = fwm::abi::remove_client(client);
        if (entry && entry->collector)
            entry->collector->cancel(); // a collection in another thread ends at once
    } catch (...) {
        // Destructors do not throw; this keeps the promise of the header.
    }
}

} // extern "C"
