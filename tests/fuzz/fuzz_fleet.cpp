// libFuzzer target for the readers of Fireworks' REST answers (deployments
// pages and billing usage, both read as a stream by read_answer). Besides
// "no crash, no sanitizer report", every result must hold what the rest of
// the check relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fleet/deployments.hpp"
#include "fleet/usage.hpp"
#include "util/text.hpp"

namespace {

void require(bool ok)
{
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    // Small limits too: they reach the paths that count entries without reading them.
    for (const std::size_t max_deployments : {std::size_t{64}, std::size_t{1}}) {
        fwm::fleet::PageLimits limits;
        limits.max_deployments = max_deployments;
        try {
            const auto page = fwm::fleet::parse_deployments_page(body, limits);
            require(page.deployments.size() <= limits.max_deployments);
            require(page.problems.first.size() <= fwm::fleet::Problems::kKept);
            require(page.problems.first.size() <= page.problems.count);
            require(fwm::util::is_clean_text(page.next_page_token));
            for (const auto& d : page.deployments) {
                require(!d.id.empty() && d.id.size() <= limits.max_text_bytes && fwm::util::is_clean_text(d.id));
                for (const std::string* s :
                     {&d.display_name, &d.state, &d.accelerator_type, &d.region, &d.status_message})
                    require(fwm::util::valid_utf8(*s) && s->size() <= limits.max_message_bytes + 3);
                require(d.annotations.size() <= limits.max_annotations);
                for (std::size_t i = 1; i < d.annotations.size(); ++i)
                    require(d.annotations[i - 1].first < d.annotations[i].first);
            }
        } catch (const std::runtime_error&) {
        }
    }
    for (const std::size_t max_rows : {std::size_t{100000}, std::size_t{3}}) {
        fwm::fleet::UsageLimits usage_limits;
        usage_limits.max_rows = max_rows;
        try {
            const auto usage = fwm::fleet::parse_usage(body, 0, 1e12, usage_limits);
            require(usage.rows <= max_rows);
            require(usage.problems.first.size() <= fwm::fleet::Problems::kKept);
            require(usage.problems.first.size() <= usage.problems.count);
            for (const auto& [key, seconds] : usage.accelerator_seconds)
                require(!key.first.empty() && seconds >= 0 && seconds == seconds);
            for (const auto& [model, n] : usage.prompt_tokens)
                require(!model.empty());
            for (const auto& [model, n] : usage.completion_tokens)
                require(!model.empty());
            for (const std::string& p : usage.problems.first)
                require(fwm::util::valid_utf8(p));
        } catch (const std::runtime_error&) {
        }
    }
    return 0;
}
