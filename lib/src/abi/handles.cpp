#include "abi/handles.hpp"
#include "util/platform.hpp"

#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace fwm::abi {
namespace {

struct Table {
    std::mutex mutex;
    std::uint64_t next = 1;
    std::unordered_map<std::uint64_t, std::shared_ptr<ClientEntry>> entries;
};

Table& table()
{
    // Never destroyed: a check thread may still call in while the process exits.
    static Table& t = *new Table();
    return t;
}

void lock_handles_for_fork()
{
    table().mutex.lock();
}

void unlock_handles_after_fork()
{
    table().mutex.unlock();
}

std::uint64_t id_of(const fwm_client* token)
{
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(token));
}

} // namespace

fwm_client* add_client(std::shared_ptr<ClientEntry> entry)
{
    static const int registered =
        util::at_fork(lock_handles_for_fork, unlock_handles_after_fork, unlock_handles_after_fork);
    (void)registered;
    Table& t = table();
    std::lock_guard lock(t.mutex);
    const std::uint64_t id = t.next++; // never reused: a stale token finds nothing
    t.entries.emplace(id, std::move(entry));
    return reinterpret_cast<fwm_client*>(static_cast<std::uintptr_t>(id));
}

std::shared_ptr<ClientEntry> find_client(const fwm_client* token)
{
    Table& t = table();
    std::lock_guard lock(t.mutex);
    auto it = t.entries.find(id_of(token));
    return it == t.entries.end() ? nullptr : it->second;
}

std::shared_ptr<ClientEntry> remove_client(const fwm_client* token)
{
    Table& t = table();
    std::lock_guard lock(t.mutex);
    auto it = t.entries.find(id_of(token));
    if (it == t.entries.end())
        return nullptr;
    auto entry = std::move(it->second);
    t.entries.erase(it);
    return entry;
}

} // namespace fwm::abi
