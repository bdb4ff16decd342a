#include "collector/collector.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <chrono>
#include <map>
#include <mutex>
#include <new>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "collector/report.hpp"
#include "fleet/refresher.hpp"
#include "fleet/report.hpp"
#include "fwm/fwm.h"
#include "http/client.hpp"
#include "mapping/mapper.hpp"
#include "parser/parser.hpp"
#include "parser/result_json.hpp"
#include "util/json_sink.hpp"
#include "util/option_error.hpp"
#include "util/text.hpp"
#include "util/platform.hpp"

namespace fwm::collector {

struct Collector::Generation {
    util::ProcessId pid;
    http::Client client;
    std::mutex mapper_mutex; // one map() at a time: it carries state between runs (CPU only, never waits on I/O)
    mapping::Mapper mapper;
    // When the REST API is asked for anything: the account's refresher,
    // shared with the other instances of the same account and options.
    std::shared_ptr<fleet::Refresher> fleet;
    std::atomic<bool> waited_for_fleet{false}; // the first run waits for it, once

    Generation(const http::ClientConfig& c, const mapping::MappingOptions& m, const fleet::FleetOptions& f)
        : pid(util::process_id()), client(c), mapper(m)
    {
        if (f.any())
            fleet = fleet::Refresher::acquire(c, f);
    }
    ~Generation()
    {
        if (fleet)
            fleet->release(this); // another instance of the account sends its data from now on
    }
    Generation(const Generation&) = delete;
    Generation& operator=(const Generation&) = delete;
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

// Turns what escaped the pipeline into a status and a message; the
// buffers are dropped (they may be half written).
void fail(Result& r, int status, const std::string& message) noexcept
{
    r.summary.clear();
    r.samples.clear();
    r.submissions.reset();
    try {
        r.status = status;
        r.message = util::clean_text(message, 1024);
    } catch (...) {
        r.status = status; // the status alone still says what happened
    }
}

template <class Body>
void guarded(Result& r, const char* where, Body&& body) noexcept
{
    try {
        body();
    } catch (const util::OptionError& e) {
        fail(r, FWM_ERR_INVALID_OPTIONS, e.what());
    } catch (const std::bad_alloc&) {
        fail(r, FWM_ERR_OUT_OF_MEMORY, std::string("out of memory in ") + where);
    } catch (const std::exception& e) {
        fail(r, FWM_ERR_INTERNAL, std::string(where) + ": " + e.what());
    } catch (...) {
        fail(r, FWM_ERR_INTERNAL, std::string(where) + ": unknown exception");
    }
}

// A large payload's body and parse were just freed. glibc keeps freed heap
// memory (and, after the first large free, serves large allocations from
// the heap too), so the Agent's process would stay at its peak between
// runs; give it back. Costs about a millisecond for tens of megabytes.
void release_freed_memory(std::size_t payload_bytes) noexcept
{
#ifdef __GLIBC__
    if (payload_bytes >= (4u << 20))
        ::malloc_trim(0);
#else
    (void)payload_bytes;
#endif
}

// Samples per parse chunk: about 1 MB of a Fireworks payload's arrays.
constexpr std::size_t kChunkSamples = 4096;

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
    client_config_ = http::read_client_config(doc, {"mapping", "fleet"});
    fleet_options_ =
        fleet::read_fleet_options(doc.HasMember("fleet") ? &doc["fleet"] : nullptr, client_config_.endpoint);
    mapping_options_ = mapping::read_mapping_options(doc.HasMember("mapping") ? &doc["mapping"] : nullptr);
    if (mapping_options_.account_id.empty())
        mapping_options_.account_id = client_config_.account_id;
    fleet_options_.instance_tags = mapping_options_.tags;
    fleet_options_.instance_tags.insert(fleet_options_.instance_tags.end(), mapping_options_.agent_tags.begin(),
                                        mapping_options_.agent_tags.end());
    generation_.store(new Generation(client_config_, mapping_options_, fleet_options_));
}

Collector::~Collector()
{
    Generation* g = generation_.load();
    if (g->pid == util::process_id())
        delete g;
    // else: a child of fork() that never collected; the parent's threads own it.
}

Collector::Generation& Collector::current()
{
    Generation* g = generation_.load();
    if (g->pid == util::process_id())
        return *g;
    // A child of fork(): the parent's I/O thread does not exist here and its
    // sockets are shared with the parent. Leave that generation (never
    // freed) and start over with a client and mapper of this process.
    auto fresh = std::make_unique<Generation>(client_config_, mapping_options_, fleet_options_);
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
    if (g->pid == util::process_id()) {
        g->client.cancel();
        if (g->fleet)
            g->fleet->wake(); // a first run waiting for it ends now
    }
}

// An instance's first run maps with the account's first inventory and
// usage when they come within the run's timeout (they are fetched beside
// the scrape), so that its first submissions are already complete; it
// never waits again. The snapshot is taken after the wait.
struct Collector::FleetPart {
    fleet::Snapshot state;
    std::optional<double> first_run_waited_s; // on the first run only
};

Collector::FleetPart Collector::fleet_part(Generation& g, std::chrono::steady_clock::time_point started)
{
    FleetPart f;
    const bool first = !g.waited_for_fleet.exchange(true);
    const auto waiting = std::chrono::steady_clock::now();
    // Up to the report margin past timeout, like the scrape: a first
    // refresh that fails by its own deadline (which starts a moment after
    // the run's) is then said with its reason, not as missing.
    if (first)
        g.fleet->wait_first(started + client_config_.timeout + http::Client::kReportMargin, cancelled_);
    f.state = g.fleet->snapshot();
    if (first)
        f.first_run_waited_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - waiting).count();
    std::lock_guard lock(g.mapper_mutex);
    g.mapper.join_tags(fleet_options_.inventory_tags ? f.state.tags : nullptr);
    return f;
}

std::optional<MappingFacts> Collector::map_answer(Generation& g, const ParseRequest& request, http::Collected& got,
                                                  parser::ParseResult& parsed, Result& r)
{
    parser::ParseOptions options = request.parse;
    options.format = format_for(got.payload->content_type, options.format);
    std::lock_guard lock(g.mapper_mutex);
    if (request.samples) {
        // The samples buffer needs them all at once.
        parsed = parser::parse(got.payload->body, options);
        r.samples = parser::samples_json_lines(parsed);
        g.mapper.begin(monotonic_seconds());
        g.mapper.add(parsed);
    } else {
        // Parsed and mapped a chunk at a time: the payload's arrays never
        // exist whole, only the body and the mapper's groups.
        g.mapper.begin(monotonic_seconds());
        parsed = parser::parse_chunked(got.payload->body, options, kChunkSamples, [&](const parser::ParseResult& chunk) {
            if (!cancelled_.load(std::memory_order_relaxed))
                g.mapper.add(chunk);
        });
    }
    if (cancelled_.load()) { // freed while parsing: no mapping for nobody
        g.mapper.abandon();
        got.info.status = r.status = FWM_ERR_CANCELLED;
        got.info.message = r.message = "the collection was cancelled (the check is being unscheduled)";
        return std::nullopt;
    }
    r.submissions = std::make_unique<Submissions>();
    const auto stats = g.mapper.finish(*r.submissions);
    return MappingFacts(stats, r.submissions->bytes());
}

Result Collector::collect(const char* options_json) noexcept
{
    Result r;
    std::size_t payload_bytes = 0;
    guarded(r, "fwm_client_collect", [&] {
        const ParseRequest request = read_parse_options(options_json);
        Generation& g = current();
        const auto started = std::chrono::steady_clock::now();
        if (g.fleet)
            g.fleet->start(); // the first refresh runs beside the first scrape
        http::Collected got = g.client.collect();
        FleetPart fleet;
        if (g.fleet)
            fleet = fleet_part(g, started);
        if (cancelled_.load() && got.payload) {
            // Freed while the answer came: no parsing or mapping for nobody.
            got.payload.reset();
            got.info.status = FWM_ERR_CANCELLED;
            got.info.message = "the collection was cancelled (the check is being unscheduled)";
        }
        r.status = got.info.status;
        r.message = util::clean_text(got.info.message, 1024);
        std::optional<MappingFacts> mapping;
        parser::ParseResult parsed;
        if (got.payload) {
            payload_bytes = got.payload->body.size();
            mapping = map_answer(g, request, got, parsed, r);
        }
        const auto write_fleet = [&](util::JsonWriter& w) {
            if (!g.fleet) {
                w.Null();
                return;
            }
            static const std::map<std::string, fleet::Observed> kNone;
            fleet::write_fleet(w, fleet.state, fleet_options_, fleet.first_run_waited_s,
                               r.submissions ? r.submissions->observed() : kNone, g.fleet->lead(&g));
        };
        r.summary = parser::summary_json(parsed, {{"collection", [&](util::JsonWriter& w) { write_collection(w, got.info); }},
                                                  {"mapping", [&](util::JsonWriter& w) { write_mapping(w, mapping); }},
                                                  {"fleet", write_fleet}});
        // The body and its parse go now: only the compact submissions stay.
    });
    release_freed_memory(payload_bytes);
    return r;
}

Result parse_once(std::string_view data, const char* options_json) noexcept
{
    Result r;
    guarded(r, "fwm_parse", [&] {
        const ParseRequest request = read_parse_options(options_json);
        const auto parsed = parser::parse(data, request.parse);
        if (request.samples)
            r.samples = parser::samples_json_lines(parsed);
        std::optional<MappingFacts> mapping;
        if (request.mapping) {
            // No state between calls: every payload maps as a first run.
            mapping::Mapper mapper(*request.mapping);
            r.submissions = std::make_unique<Submissions>();
            const auto stats = mapper.map(parsed, 0.0, *r.submissions);
            mapping.emplace(stats, r.submissions->bytes());
        }
        r.summary = parser::summary_json(parsed, {{"mapping", [&](util::JsonWriter& w) { write_mapping(w, mapping); }}});
        r.status = FWM_OK;
    });
    release_freed_memory(data.size());
    return r;
}

} // namespace fwm::collector
