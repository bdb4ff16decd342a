#include "mapping/table.hpp"

#include <iterator>

namespace fwm::mapping {
namespace {

constexpr KnownSeries kTable[] = {
    {"request_counter_total", "fireworks.requests.rate", Kind::rate, "request"},
    {"requests_error_total", "fireworks.requests.errors.rate", Kind::rate, "error"},
    {"tokens_prompt_total", "fireworks.tokens.prompt.rate", Kind::rate, "token"},
    {"tokens_cached_prompt_total", "fireworks.tokens.prompt_cached.rate", Kind::rate, "token"},
    {"latency_overall_ms_bucket", "fireworks.latency.overall", Kind::histogram, "millisecond"},
    {"latency_to_first_token_ms_bucket", "fireworks.latency.time_to_first_token", Kind::histogram, "millisecond"},
    {"latency_generation_per_token_ms_bucket", "fireworks.latency.generation_per_token", Kind::histogram, "millisecond"},
    {"latency_generation_queue_ms_bucket", "fireworks.latency.generation_queue", Kind::histogram, "millisecond"},
    {"latency_prefill_ms_bucket", "fireworks.latency.prefill", Kind::histogram, "millisecond"},
    {"latency_prefill_queue_ms_bucket", "fireworks.latency.prefill_queue", Kind::histogram, "millisecond"},
    {"tokens_generated_per_request_bucket", "fireworks.tokens.generated_per_request", Kind::histogram, "token"},
    {"tokens_prompt_per_request_bucket", "fireworks.tokens.prompt_per_request", Kind::histogram, "token"},
    {"generator_kv_blocks_fraction", "fireworks.kv_cache.blocks_used", Kind::gauge, "fraction"},
    {"generator_kv_slots_fraction", "fireworks.kv_cache.slots_used", Kind::gauge, "fraction"},
    {"generator_model_forward_time", "fireworks.generator.model_forward_time", Kind::gauge, ""},
    {"requests_coordinator_concurrent_count", "fireworks.requests.concurrent", Kind::gauge, "request"},
    {"prefiller_prompt_cache_ttl", "fireworks.prompt_cache.ttl", Kind::gauge, ""},
};

} // namespace

const KnownSeries* find_known(std::string_view base) noexcept
{
    for (const auto& k : kTable)
        if (k.fireworks == base)
            return &k;
    return nullptr;
}

const KnownSeries* known_begin() noexcept
{
    return std::begin(kTable);
}

const KnownSeries* known_end() noexcept
{
    return std::end(kTable);
}

} // namespace fwm::mapping
