// The one rule that keeps the state between runs bounded: entries of
// series (or deployments) that stopped coming are dropped once they
// outnumber the live ones, so churn cannot grow the state, and a table of
// live entries is never scanned for nothing.
#pragma once

#include <cstddef>

namespace fwm::mapping {

inline constexpr std::size_t kPruneSlack = 1024; // entries kept beyond twice the live ones

// Erases the entries of `table` that `live` rejects, calling `drop` on each
// first, when they are more than the live ones plus kPruneSlack.
template <class Table, class Live, class Drop>
void prune_stale(Table& table, Live live, Drop drop)
{
    std::size_t alive = 0;
    for (const auto& entry : table)
        alive += live(entry);
    if (table.size() <= 2 * alive + kPruneSlack)
        return;
    for (auto it = table.begin(); it != table.end();) {
        if (live(*it)) {
            ++it;
            continue;
        }
        drop(*it);
        it = table.erase(it);
    }
}

template <class Table, class Live>
void prune_stale(Table& table, Live live)
{
    prune_stale(table, live, [](const auto&) {});
}

} // namespace fwm::mapping
