// Keeps one Fireworks account's view fresh for every check instance of it:
// the deployments inventory every inventory_interval, today's billing
// usage every usage_interval, the account and its quotas every
// capacity_interval, and the dollars every cost_interval, over an 'api' client (the same TLS, proxy,
// key and deadlines as the metrics). The refreshes are timers and
// coroutines on the library's one I/O runtime, not threads: hundreds of
// instances cost no thread and one refresh per account. Instances of the
// same account with the same options share one Refresher (acquire()). A
// failed refresh keeps the last good answer.
#pragma once

#include "util/platform.hpp"


#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fleet/capacity.hpp"
#include "fleet/costs.hpp"
#include "fleet/deployments.hpp"
#include "fleet/options.hpp"
#include "fleet/usage.hpp"
#include "http/config.hpp"
#include "mapping/joined_tags.hpp"

namespace fwm::fleet {

struct Inventory {
    std::vector<Deployment> deployments; // sorted by id, one per id
    double fetched_at = 0;               // seconds since the epoch
    std::size_t pages = 0;
    std::size_t skipped = 0;             // entries without a usable name, or past max_deployments
    bool complete = true;                // false when the listing was cut (a repeated token, too many pages or deployments, a failed page)
    Problems problems;
};

struct UsageDay {
    Usage usage;
    std::string day;      // "YYYY-MM-DD" (UTC)
    double fetched_at = 0;
    // The day before, read once more at the first refresh of this day: its
    // final totals, so that the hours after its last reading are counted.
    std::shared_ptr<const UsageDay> day_before;
};

// The account and its quotas. A part whose call failed keeps its last good
// answer (and says why in account_error or problems).
struct Capacity {
    std::optional<AccountInfo> account;
    std::string account_error;      // why the account could not be read this time
    std::vector<Quota> quotas;      // sorted by id, one per id
    bool quotas_read = false;       // some listing of them succeeded
    double quotas_read_at = 0;      // when that listing was read (the options' clock), seconds since the epoch
    bool complete = true;           // the last listing held every page
    double fetched_at = 0;
    Problems problems;
};

// One UTC day of rated dollars, by model and by API key.
struct CostDay {
    std::string day; // "YYYY-MM-DD"
    std::vector<RatedRow> by_model, by_api_key;
    std::optional<Money> subtotal;
    std::optional<double> evaluation_time;
    std::string attribution_completeness;
};

struct Costs {
    std::shared_ptr<const CostDay> today;
    std::shared_ptr<const CostDay> day_before; // read once more at the first refresh of a day
    std::string scope;               // the usageCosts scope in use
    bool scope_fallback = false;     // ACCOUNT was refused (403): SELF
    std::vector<BillingLine> billed; // month to date
    std::string billed_from, billed_to; // [from, to) as YYYY-MM-DD
    bool billed_read = false;
    std::string billing_error;       // why the billing summary could not be read this time
    double fetched_at = 0;
    Problems problems;
};

// Fireworks allows an account without credits (or suspended) 10 API
// requests a minute for all its traffic: the refreshes then slow down.
struct Envelope {
    bool slowed = false;
    std::string reason;
};

// The last refresh attempt of one kind.
struct Attempt {
    int status = -1;            // an fwm_status; -1 before the first attempt ends
    std::string message;        // clean text; never the key
    double at = 0;              // when it ended, seconds since the epoch
    double duration_s = 0;
    unsigned requests = 0;
    double retry_after_s = -1;  // a 429's wait, when one stopped it
    std::uint64_t sequence = 0; // counts attempts: the check reports each failure once
};

struct Snapshot {
    std::shared_ptr<const Inventory> inventory;         // the last good one, or null
    std::shared_ptr<const mapping::JoinedTags> tags;    // from it, when inventory_tags
    std::shared_ptr<const UsageDay> usage;              // the last good one, or null
    std::shared_ptr<const Capacity> capacity;           // the last good parts, or null
    std::shared_ptr<const Costs> costs;                 // the last good parts, or null
    Attempt inventory_attempt, usage_attempt, capacity_attempt, costs_attempt;
    Envelope envelope;
};

// The tags the inventory gives a deployment's metrics, in a fixed order.
std::vector<std::string> deployment_tags(const Deployment& d, const FleetOptions& o);

class Refresher {
public:
    using Clock = std::chrono::steady_clock;

    // The refresher of this account, origin, key, transport and options:
    // the running one when another instance uses it, else a new one.
    // Throws util::OptionError naming the option.
    static std::shared_ptr<Refresher> acquire(const http::ClientConfig& metrics, const FleetOptions& options);

    // `metrics` supplies the TLS, proxy, key, timeouts and account. Not
    // shared: acquire() is how instances get one.
    Refresher(const http::ClientConfig& metrics, FleetOptions options);
    ~Refresher(); // stops the timers; an answer in flight is abandoned at once
    Refresher(const Refresher&) = delete;
    Refresher& operator=(const Refresher&) = delete;

    // Starts the refreshes (the first call only). Never blocks.
    void start();
    // Every refresh that is not running starts now, whatever its timer
    // says (the tests' clock, and nothing else, needs this).
    void refresh_now();
    Snapshot snapshot() const;

    // Until every asked-for kind has ended its first attempt, `deadline`
    // passes, or `stop` is set (wake() says so). True when all ended.
    bool wait_first(Clock::time_point deadline, const std::atomic<bool>& stop) const;
    // Wakes wait_first() callers to look at their `stop` again.
    void wake() const;

    const FleetOptions& options() const;

    // Which of the instances sharing this refresher sends the account's own
    // data (usage, quotas, spend, costs, the account's state), so that it is
    // counted once: the first to ask, until it releases; `who` is any
    // address of the instance's.
    bool lead(const void* who);
    void release(const void* who);

    // Refreshers running in this process (for the tests of sharing).
    static std::size_t count();

    struct Core; // the state the I/O thread's refreshes hold

private:
    util::ProcessId pid_;
    std::shared_ptr<Core> core_;
};

} // namespace fwm::fleet
