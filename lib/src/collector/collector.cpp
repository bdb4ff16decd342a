#include "collector/collector.hpp"

#include <unistd.h>

#include <chrono>
#include <mutex>
#include <new>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "collector/report.hpp"
#include "fwm/fwm.h"
#include "http/client.hpp"
#include "mapping/mapper.hpp"
#include "parser/parser.hpp"
#include "parser/result_json.hpp"
#include "util/option_error.hpp"
#include "util/text.hpp"

namespace fwm::collector {

struct Collector::Generation {
    pid_t pid;
    http::Client client;
    std::mutex mapper_mutex; // one map() at a time: it carries state between runs (CPU only, never waits on I/O)
    mapping::Mapper mapper;

    Generation(const http::ClientConfig& c, const mapping::MappingOptions& m)
        : pid(::getpid()), client(c), mapper(m)
    {
    }
};

namespace {

parser::Format format_for(const std::string& content_type, parser::Format requested)
{
    if (requested != parser::Format::automatic)
        return requested;
    return content_type.rfind("application/openmetrics-text", 0) == 0 ? parser::Format::openmetrics
                                                                       : parser::Format::automatic;
}

double monotonic_seconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Turns what escaped the pipeline into a status and a message. The
// submissions buffer still carries a CRITICAL service check with it, so the
// check reports the real cause (when memory allows).
void fail(Result& r, int status, const std::string& message, const mapping::MappingOptions* options) noexcept
{
    try {
        r.status = status;
        r.message = util::clean_text(message, 1024);
        if (options)
            r.submissions = failure_submissions_json(r.message, *options);
    } catch (...) {
        r.status = status; // the status alone still says what happened
    }
}

template <class Body>
void guarded(Result& r, const char* where, const mapping::MappingOptions* options, Body&& body) noexcept
{
    try {
        body();
    } catch (const util::OptionError& e) {
        fail(r, FWM_ERR_INVALID_OPTIONS, e.what(), options);
    } catch (const std::bad_alloc&) {
        r.summary.clear();
        r.samples.clear();
        r.submissions.clear();
        fail(r, FWM_ERR_OUT_OF_MEMORY, std::string("out of memory in ") + where, options);
    } catch (const std::exception& e) {
        fail(r, FWM_ERR_INTERNAL, std::string(where) + ": " + e.what(), options);
    } catch (...) {
        fail(r, FWM_ERR_INTERNAL, std::string(where) + ": unknown exception", options);
    }
}

} // namespace

Collector::Collector(const char* config_json)
{
    if (config_json == nullptr || *config_json == '\0')
        throw util::OptionError(
            "the client configuration is empty: api_key and account_id (or openmetrics_endpoint) are required");
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(config_json); // iterative: no nesting depth can exhaust the stack
    if (doc.HasParseError())
        throw util::OptionError(std::string("the client configuration is not valid JSON: ") +
                                rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                                std::to_string(doc.GetErrorOffset()));
    client_config_ = http::read_client_config(doc, {"mapping"});
    mapping_options_ = mapping::read_mapping_options(doc.HasMember("mapping") ? &doc["mapping"] : nullptr);
    if (mapping_options_.account_id.empty())
        mapping_options_.account_id = client_config_.account_id;
    generation_.store(new Generation(client_config_, mapping_options_));
}

Collector::~Collector()
{
    Generation* g = generation_.load();
    if (g->pid == ::getpid())
        delete g;
    // else: a child of fork() that never collected; the parent's threads own it.
}

Collector::Generation& Collector::current()
{
    Generation* g = generation_.load();
    if (g->pid == ::getpid())
        return *g;
    // A child of fork(): the parent's I/O thread does not exist here and its
    // sockets are shared with the parent. Leave that generation (never
    // freed) and start over with a client and mapper of this process.
    auto fresh = std::make_unique<Generation>(client_config_, mapping_options_);
    if (cancelled_.load())
        fresh->client.cancel();
    if (generation_.compare_exchange_strong(g, fresh.get()))
        return *fresh.release();
    return *g; // another thread of the child got there first
}

void Collector::cancel() noexcept
{
    cancelled_.store(true);
    Generation* g = generation_.load();
    if (g->pid == ::getpid())
        g->client.cancel();
}

Result Collector::collect(const char* options_json) noexcept
{
    Result r;
    guarded(r, "fwm_client_collect", &mapping_options_, [&] {
        const ParseRequest request = read_parse_options(options_json);
        Generation& g = current();
        http::Collected got = g.client.collect();
        if (cancelled_.load() && got.payload) {
            // Freed while the answer came: no parsing or mapping for nobody.
            got.payload.reset();
            got.info.status = FWM_ERR_CANCELLED;
            got.info.message = "the collection was cancelled (the check is being unscheduled)";
        }
        r.status = got.info.status;
        r.message = util::clean_text(got.info.message, 1024);
        parser::ParseResult parsed;
        std::string groups;
        mapping::MapStats stats;
        if (got.payload) {
            parser::ParseOptions options = request.parse;
            options.format = format_for(got.payload->content_type, options.format);
            parsed = parser::parse(got.payload->body, options);
            if (request.samples)
                r.samples = parser::samples_json_lines(parsed);
            if (cancelled_.load()) { // freed while parsing: no mapping for nobody
                got.payload.reset();
                got.info.status = r.status = FWM_ERR_CANCELLED;
                got.info.message = r.message = "the collection was cancelled (the check is being unscheduled)";
            } else {
                std::lock_guard lock(g.mapper_mutex);
                stats = g.mapper.map(parsed, monotonic_seconds(), groups);
            }
        }
        r.summary = parser::summary_json(parsed, collection_json(got.info));
        r.submissions = submissions_json(groups, got.payload ? &parsed : nullptr, got.payload ? &stats : nullptr,
                                         &got.info, mapping_options_);
    });
    return r;
}

Result parse_once(std::string_view data, const char* options_json) noexcept
{
    Result r;
    guarded(r, "fwm_parse", nullptr, [&] {
        const ParseRequest request = read_parse_options(options_json);
        const auto parsed = parser::parse(data, request.parse);
        r.summary = parser::summary_json(parsed);
        if (request.samples)
            r.samples = parser::samples_json_lines(parsed);
        if (request.mapping) {
            // No state between calls: every payload maps as a first run.
            mapping::Mapper mapper(*request.mapping);
            std::string groups;
            const auto stats = mapper.map(parsed, 0.0, groups);
            r.submissions = submissions_json(groups, &parsed, &stats, nullptr, mapper.options());
        }
        r.status = FWM_OK;
    });
    return r;
}

} // namespace fwm::collector
