#include "http/account_registry.hpp"
#include "util/platform.hpp"

#include <algorithm>
#include <map>

#include <openssl/evp.h>

namespace fwm::http {

std::shared_ptr<const CachedResponse> cache_entry(std::shared_ptr<const CachedResponse> served, util::BigString wire,
                                                  bool gzipped)
{
    if (!gzipped)
        return served;
    auto kept = std::make_shared<CachedResponse>();
    kept->body = std::move(wire);
    kept->gzipped = true;
    kept->inflated_bytes = served->body.size();
    kept->content_type = served->content_type;
    kept->fetched = served->fetched;
    return kept;
}

Account::Admission Account::admit(unsigned limit, Clock::time_point now, const std::string& cache_key)
{
    std::lock_guard lock(mutex_);
    Admission a;
    if (auto it = caches_.find(cache_key); it != caches_.end())
        a.cache = it->second;
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

void Account::store(const std::string& cache_key, std::shared_ptr<const CachedResponse> response)
{
    std::lock_guard lock(mutex_);
    if (handles_ == 0)
        return; // nobody left to serve it to
    caches_[cache_key] = std::move(response);
    while (caches_.size() > kMaxCaches) {
        // Drop the oldest: a bounded table whatever the number of keys.
        auto oldest = caches_.begin();
        for (auto it = caches_.begin(); it != caches_.end(); ++it)
            if (it->second->fetched < oldest->second->fetched)
                oldest = it;
        caches_.erase(oldest);
    }
}

std::shared_ptr<const CachedResponse> Account::cached(const std::string& cache_key) const
{
    std::lock_guard lock(mutex_);
    auto it = caches_.find(cache_key);
    return it == caches_.end() ? nullptr : it->second;
}

void Account::attach()
{
    std::lock_guard lock(mutex_);
    ++handles_;
}

void Account::detach()
{
    std::map<std::string, std::shared_ptr<const CachedResponse>> dropped; // freed outside the lock
    std::lock_guard lock(mutex_);
    if (handles_ > 0 && --handles_ == 0)
        dropped.swap(caches_);
}

void Account::end_inherited_requests(Clock::time_point when)
{
    for (auto& sent : sent_)
        if (!sent.done) {
            sent.at = std::max(sent.at, when);
            sent.done = true;
        }
    std::stable_sort(sent_.begin(), sent_.end(), [](const Sent& a, const Sent& b) { return a.at < b.at; });
}

std::size_t Account::cached_bytes() const
{
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [key, c] : caches_)
        n += c->body.size();
    return n;
}

namespace {

struct Registry {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<Account>> accounts;
};

Registry& registry()
{
    // Never destroyed: the I/O thread may still run while the process exits.
    static Registry& r = *new Registry();
    return r;
}

// fork() while another thread holds one of these locks would leave it held
// for ever in the child: take them all around the fork.
void lock_accounts_for_fork()
{
    Registry& r = registry();
    r.mutex.lock();
    for (auto& [key, account] : r.accounts)
        account->lock();
}

void unlock_accounts_after_fork()
{
    Registry& r = registry();
    for (auto& [key, account] : r.accounts)
        account->unlock();
    r.mutex.unlock();
}

void unlock_accounts_in_child()
{
    Registry& r = registry();
    const auto now = Clock::now();
    for (auto& [key, account] : r.accounts) {
        account->end_inherited_requests(now);
        account->unlock();
    }
    r.mutex.unlock();
}

} // namespace

std::shared_ptr<Account> account_for(const std::string& key)
{
    static const int registered =
        util::at_fork(lock_accounts_for_fork, unlock_accounts_after_fork, unlock_accounts_in_child);
    (void)registered;
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    // Forget accounts that no handle uses and whose window is empty, so the
    // map stays bounded as checks come and go.
    const auto now = Clock::now();
    for (auto it = r.accounts.begin(); it != r.accounts.end();)
        it = it->second.use_count() == 1 && it->first != key && it->second->idle(now) ? r.accounts.erase(it)
                                                                                        : std::next(it);
    auto& slot = r.accounts[key];
    if (!slot)
        slot = std::make_shared<Account>();
    return slot;
}

std::size_t account_count()
{
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    return r.accounts.size();
}

std::string cache_key_for(const std::string& url, const std::string& api_key)
{
    const std::string input = url + '\n' + api_key;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 is not available from OpenSSL");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < size; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 15];
    }
    return out;
}

} // namespace fwm::http
