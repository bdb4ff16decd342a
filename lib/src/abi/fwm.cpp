// The C ABI: thin trampolines from fwm.h to the C++ core. Every function
// catches everything, because an exception escaping into ctypes kills the
// Agent. Error text is owned by the handle it describes.
#include "fwm/fwm.h"

#include <cstdint>
#include <chrono>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include "abi/option_error.hpp"
#include "abi/parse_options.hpp"
#include "abi/result_json.hpp"
#include "abi/status.hpp"
#include "http/client.hpp"
#include "mapping/mapper.hpp"
#include "mapping/report.hpp"
#include "parser/parser.hpp"

struct fwm_result_s {
    std::string message;
    std::string summary;
    std::string samples;
    std::string submissions;
};

struct fwm_client_s {
    std::string message;
    std::unique_ptr<fwm::http::Client> client; // null when creation failed
    std::unique_ptr<fwm::mapping::Mapper> mapper;
    std::mutex mutex; // one collection at a time per handle
};

namespace {

fwm_status fail(std::string& message, fwm_status status, const char* text) noexcept
{
    try {
        message = text;
    } catch (...) {
        // The status alone still tells the caller what happened.
    }
    return status;
}

// Runs `body`, turning every exception into a status and a message.
template <class Body>
fwm_status guarded(std::string& message, const char* where, Body&& body) noexcept
{
    try {
        return body();
    } catch (const fwm::abi::OptionError& e) {
        return fail(message, FWM_ERR_INVALID_OPTIONS, e.what());
    } catch (const std::bad_alloc&) {
        return fail(message, FWM_ERR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception& e) {
        try {
            message = std::string(where) + ": " + e.what();
        } catch (...) {
        }
        return FWM_ERR_INTERNAL;
    } catch (...) {
        return fail(message, FWM_ERR_INTERNAL, where);
    }
}

fwm::parser::Format format_for(const std::string& content_type, fwm::parser::Format requested)
{
    if (requested != fwm::parser::Format::automatic)
        return requested;
    return content_type.rfind("application/openmetrics-text", 0) == 0 ? fwm::parser::Format::openmetrics
                                                                       : fwm::parser::Format::automatic;
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
    return fwm::abi::status_name(status);
}

FWM_API const char* fwm_status_string(int status)
{
    return fwm::abi::status_text(status);
}

FWM_API fwm_status fwm_parse(const char* data, size_t size, const char* options_json, fwm_result** result)
{
    if (result == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    *result = new (std::nothrow) fwm_result_s();
    fwm_result* r = *result;
    if (r == nullptr)
        return FWM_ERR_OUT_OF_MEMORY;
    if (data == nullptr && size != 0)
        return fail(r->message, FWM_ERR_INVALID_ARGUMENT, "data is NULL but size is not 0");
    if (size > UINT32_MAX - 1)
        return fail(r->message, FWM_ERR_PAYLOAD_TOO_LARGE, "payload over 4 GiB - 1 byte");
    return guarded(r->message, "fwm_parse", [&] {
        const fwm::abi::ParseRequest request = fwm::abi::read_parse_options(options_json);
        const auto parsed = fwm::parser::parse({data == nullptr ? "" : data, size}, request.parse);
        r->summary = fwm::abi::summary_json(parsed);
        if (request.samples)
            r->samples = fwm::abi::samples_json_lines(parsed);
        if (request.mapping) {
            // No state between calls: every payload maps as a first run.
            fwm::mapping::Mapper mapper(*request.mapping);
            std::string groups;
            const auto stats = mapper.map(parsed, 0.0, groups);
            r->submissions = fwm::mapping::submissions_json(groups, &parsed, &stats, nullptr, mapper.options());
        }
        return FWM_OK;
    });
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

FWM_API fwm_status fwm_result_submissions(const fwm_result* result, const char** json, size_t* size)
{
    if (result == nullptr || json == nullptr || size == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    *json = result->submissions.data();
    *size = result->submissions.size();
    return FWM_OK;
}

FWM_API void fwm_result_free(fwm_result* result)
{
    delete result;
}

FWM_API fwm_status fwm_client_create(const char* config_json, fwm_client** client)
{
    if (client == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    *client = new (std::nothrow) fwm_client_s();
    fwm_client* c = *client;
    if (c == nullptr)
        return FWM_ERR_OUT_OF_MEMORY;
    return guarded(c->message, "fwm_client_create", [&] {
        auto config = fwm::http::read_client_config(config_json);
        auto mapping = fwm::mapping::read_mapping_member(config_json);
        if (mapping.account_id.empty())
            mapping.account_id = config.account_id;
        c->mapper = std::make_unique<fwm::mapping::Mapper>(std::move(mapping));
        c->client = std::make_unique<fwm::http::Client>(std::move(config));
        return FWM_OK;
    });
}

FWM_API const char* fwm_client_message(const fwm_client* client)
{
    return client ? client->message.c_str() : "";
}

FWM_API fwm_status fwm_client_collect(fwm_client* client, const char* options_json, fwm_result** result)
{
    if (client == nullptr || result == nullptr)
        return FWM_ERR_INVALID_ARGUMENT;
    *result = new (std::nothrow) fwm_result_s();
    fwm_result* r = *result;
    if (r == nullptr)
        return FWM_ERR_OUT_OF_MEMORY;
    if (!client->client)
        return fail(r->message, FWM_ERR_INVALID_ARGUMENT, "this client was not created: see fwm_client_message");
    return guarded(r->message, "fwm_client_collect", [&] {
        std::lock_guard lock(client->mutex);
        const fwm::abi::ParseRequest request = fwm::abi::read_parse_options(options_json);
        fwm::http::Collected got = client->client->collect();
        fwm::parser::ParseResult parsed;
        std::string groups;
        fwm::mapping::MapStats stats;
        if (got.payload) {
            fwm::parser::ParseOptions options = request.parse;
            options.format = format_for(got.payload->content_type, options.format);
            parsed = fwm::parser::parse(got.payload->body, options);
            if (request.samples)
                r->samples = fwm::abi::samples_json_lines(parsed);
            const double now =
                std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
            stats = client->mapper->map(parsed, now, groups);
        }
        r->summary = fwm::abi::summary_json(parsed, &got.info);
        r->submissions = fwm::mapping::submissions_json(groups, got.payload ? &parsed : nullptr,
                                                        got.payload ? &stats : nullptr, &got.info,
                                                        client->mapper->options());
        r->message = got.info.message;
        return static_cast<fwm_status>(got.info.status);
    });
}

FWM_API void fwm_client_free(fwm_client* client)
{
    try {
        delete client;
    } catch (...) {
        // Destructors do not throw; this keeps the promise of the header.
    }
}

} // extern "C"
