#include "http/account_registry.hpp"

#include <algorithm>
#include <map>

namespace fwm::http {

Account::Admission Account::admit(unsigned limit, Clock::time_point now)
{
    std::lock_guard lock(mutex_);
    Admission a;
    a.cache = cache_;
    while (!sent_.empty() && sent_.front().done && now - sent_.front().at >= kWindow)
        sent_.pop_front();
    if (now < blocked_until_) {
        a.verdict = Verdict::blocked_by_server;
        a.wait = std::chrono::ceil<std::chrono::milliseconds>(blocked_until_ - now);
        return a;
    }
    if (sent_.size() >= limit) {
        a.verdict = Verdict::over_limit;
        // An unfinished request may be older than the window: then the wait is unknown, say 0.
        a.wait = std::max(std::chrono::milliseconds(0),
                          std::chrono::ceil<std::chrono::milliseconds>(sent_[sent_.size() - limit].at + kWindow - now));
        return a;
    }
    a.slot = next_slot_++;
    sent_.push_back(Sent{a.slot, now, false});
    return a;
}

void Account::done(std::uint64_t slot, Clock::time_point when)
{
    std::lock_guard lock(mutex_);
    for (auto& s : sent_)
        if (s.slot == slot) {
            s.at = std::max(s.at, when);
            s.done = true;
        }
    // Keep the deque ordered by time for the pruning in admit().
    std::stable_sort(sent_.begin(), sent_.end(), [](const Sent& a, const Sent& b) { return a.at < b.at; });
}

void Account::block_until(Clock::time_point until)
{
    std::lock_guard lock(mutex_);
    if (until > blocked_until_)
        blocked_until_ = until;
}

bool Account::idle(Clock::time_point now) const
{
    std::lock_guard lock(mutex_);
    if (now < blocked_until_)
        return false;
    for (const auto& s : sent_)
        if (!s.done || now - s.at < kWindow)
            return false;
    return true;
}

void Account::store(std::shared_ptr<const CachedResponse> response)
{
    std::lock_guard lock(mutex_);
    cache_ = std::move(response);
}

std::shared_ptr<const CachedResponse> Account::cached() const
{
    std::lock_guard lock(mutex_);
    return cache_;
}

std::shared_ptr<Account> account_for(const std::string& key)
{
    static std::mutex mutex;
    // Never destroyed: the I/O thread may still run while the process exits.
    static auto& accounts = *new std::map<std::string, std::shared_ptr<Account>>();
    std::lock_guard lock(mutex);
    // Forget accounts that no handle uses and whose window is empty, so the
    // map stays bounded as checks come and go.
    const auto now = Clock::now();
    for (auto it = accounts.begin(); it != accounts.end();)
        it = it->second.use_count() == 1 && it->first != key && it->second->idle(now) ? accounts.erase(it) : std::next(it);
    auto& slot = accounts[key];
    if (!slot)
        slot = std::make_shared<Account>();
    return slot;
}

} // namespace fwm::http
