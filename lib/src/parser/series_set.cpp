#include "parser/series_set.hpp"

#include "util/stream_hash.hpp"

#include <algorithm>
#include <cstring>

namespace fwm::parser {
using util::StreamHash;

namespace {

std::uint32_t non_empty(const Label* l, std::uint32_t n) noexcept
{
    std::uint32_t count = 0;
    for (std::uint32_t i = 0; i < n; ++i)
        count += !l[i].value.empty();
    return count;
}

} // namespace

bool same_series(const ParseResult& ra, const Sample& a, const ParseResult& rb, const Sample& b) noexcept
{
    if (a.name != b.name)
        return false;
    const Label* la = ra.labels_of(a);
    const Label* lb = rb.labels_of(b);
    if (non_empty(la, a.labels_count) != non_empty(lb, b.labels_count))
        return false;
    for (std::uint32_t i = 0; i < a.labels_count; ++i) {
        if (la[i].value.empty())
            continue;
        // Label names are unique within a sample, so a set comparison is a
        // lookup of each of a's labels in b.
        bool found = false;
        for (std::uint32_t j = 0; j < b.labels_count && !found; ++j)
            found = la[i].name == lb[j].name && la[i].value == lb[j].value;
        if (!found)
            return false;
    }
    return true;
}

std::uint64_t series_hash(const ParseResult& r, const Sample& s) noexcept
{
    StreamHash h;
    h.add(s.name);
    const Label* l = r.labels_of(s);
    const std::uint32_t n = s.labels_count;
    if (s.labels_sorted) { // what exporters write, so the common case
        for (std::uint32_t i = 0; i < n; ++i)
            if (!l[i].value.empty()) {
                h.add(l[i].name);
                h.add(l[i].value);
            }
        return h.finish();
    }
    std::vector<const Label*> order(n);
    for (std::uint32_t i = 0; i < n; ++i)
        order[i] = &l[i];
    std::sort(order.begin(), order.end(), [](const Label* x, const Label* y) { return x->name < y->name; });
    for (const Label* x : order)
        if (!x->value.empty()) {
            h.add(x->name);
            h.add(x->value);
        }
    return h.finish();
}

SeriesSet::SeriesSet(const ParseResult& r, const std::uint64_t* hashes, std::size_t series)
    : set_(0, Hash{hashes}, Equal{&r, hashes})
{
    set_.reserve(series); // one allocation, no rehash while inserting
}

std::uint32_t SeriesSet::insert(std::uint32_t index)
{
    const auto [it, inserted] = set_.insert(index);
    return inserted ? kNone : *it;
}

} // namespace fwm::parser
