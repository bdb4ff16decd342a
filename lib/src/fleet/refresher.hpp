// Keeps one check instance's view of its Fireworks account fresh: the
// deployments inventory every inventory_interval and today's billing usage
// every usage_interval, fetched on a thread of its own over an 'api' client
// (the same TLS, proxy, key and deadlines as the metrics), so the metrics
// scrape never waits on it. A failed refresh keeps the last good one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "fleet/deployments.hpp"
#include "fleet/options.hpp"
#include "fleet/usage.hpp"
#include "http/config.hpp"
#include "mapping/joined_tags.hpp"

namespace fwm::http {
class Client;
}

namespace fwm::fleet {

struct Inventory {
    std::vector<Deployment> deployments; // sorted by id, one per id
    double fetched_at = 0;               // seconds since the epoch
    std::size_t pages = 0;
    std::size_t skipped = 0;             // entries without a usable name, or past max_deployments
    bool complete = true;                // false when the listing was cut (a repeated token, too many pages or deployments)
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
    Attempt inventory_attempt, usage_attempt;
};

// The tags the inventory gives a deployment's metrics, in a fixed order.
std::vector<std::string> deployment_tags(const Deployment& d, const FleetOptions& o);

class Refresher {
public:
    // `metrics` supplies the TLS, proxy, key, timeouts and account.
    Refresher(const http::ClientConfig& metrics, FleetOptions options);
    ~Refresher(); // stops the thread: an answer in flight is abandoned at once
    Refresher(const Refresher&) = delete;
    Refresher& operator=(const Refresher&) = delete;

    // Wakes the refresh thread (started on the first call) if a refresh is
    // due. Never blocks on the network.
    void poke();
    Snapshot snapshot() const;
    // Thread safe; refreshes stop for good.
    void cancel() noexcept;

    const FleetOptions& options() const { return options_; }

private:
    void run();
    void refresh_inventory();
    void refresh_usage();

    FleetOptions options_;
    std::unique_ptr<http::Client> client_;
    std::string account_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool poked_ = false;
    bool stopping_ = false;
    Snapshot snapshot_;
    std::chrono::steady_clock::time_point next_inventory_{}, next_usage_{};
    std::thread thread_;
};

} // namespace fwm::fleet
