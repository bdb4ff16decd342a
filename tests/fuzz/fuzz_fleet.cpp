// libFuzzer target for the readers of Fireworks' REST answers (deployments
// pages, billing usage, the account, quotas, usage costs, the billing
// summary and a termination message, all read as a stream by read_answer). Besides
// "no crash, no sanitizer report", every result must hold what the rest of
// the check relies on.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fleet/capacity.hpp"
#include "fleet/costs.hpp"
#include "fleet/deployments.hpp"
#include "fleet/usage.hpp"
#include "util/text.hpp"

namespace {

void require(bool ok)
{
    if (!ok)
        std::abort();
}

template <class F>
void guarded(F f)
{
    try {
        f();
    } catch (const std::runtime_error&) {
    }
}

void problems_ok(const fwm::fleet::Problems& p)
{
    require(p.first.size() <= fwm::fleet::Problems::kKept && p.first.size() <= p.count);
    for (const std::string& s : p.first)
        require(fwm::util::valid_utf8(s));
}

void check_capacity_and_costs(std::string_view body)
{
    guarded([&] {
        const auto a = fwm::fleet::parse_account(body);
        for (const std::string* s : {&a.state, &a.suspend_state, &a.status_code, &a.status_message, &a.display_name})
            require(fwm::util::is_clean_text(*s) && s->size() <= 500 + 3);
        problems_ok(a.problems);
    });
    guarded([&] {
        const auto page = fwm::fleet::parse_quotas_page(body, 3);
        require(page.quotas.size() <= 3 && fwm::util::is_clean_text(page.next_page_token));
        for (const auto& q : page.quotas) {
            require(!q.id.empty() && fwm::util::is_clean_text(q.id));
            for (const auto* v : {&q.limit, &q.max_approved, &q.usage})
                require(!*v || std::isfinite(**v));
            if (auto gpu = fwm::fleet::gpu_quota(q.id))
                require(!gpu->first.empty() && !gpu->second.empty() && q.id == gpu->first + "-" + gpu->second);
            if (q.usage && q.limit)
                require(!fwm::fleet::projected_month_end(*q.usage, 1.8e9) || *q.usage < 0 ||
                        std::isfinite(*fwm::fleet::projected_month_end(*q.usage, 1.8e9)));
        }
        problems_ok(page.problems);
    });
    guarded([&] {
        const auto page = fwm::fleet::parse_costs_page(body, 4);
        require(page.rows.size() <= 4);
        for (const auto& r : page.rows)
            require(std::isfinite(r.amount.value()) && !r.amount.currency().empty() &&
                    (r.day.empty() || r.day.size() == 10));
        problems_ok(page.problems);
    });
    guarded([&] {
        const auto b = fwm::fleet::parse_billing_summary(body, 4);
        require(b.lines.size() <= 4);
        fwm::fleet::Money sum;
        for (const auto& l : b.lines) {
            require(std::isfinite(l.total.value()));
            sum.add(l.total); // never overflows: capped
        }
        for (const auto& [type, price] : fwm::fleet::prices_from_billing(b.lines))
            require(!fwm::fleet::accelerator_family(type).empty() && price.per_hour > 0 && std::isfinite(price.per_hour));
        problems_ok(b.problems);
    });
    guarded([&] { require(fwm::util::is_clean_text(fwm::fleet::parse_termination_message(body))); });
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
    check_capacity_and_costs(body);
    return 0;
}
