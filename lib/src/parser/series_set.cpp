#include "parser/series_set.hpp"

#include <cstring>

namespace fwm::parser {
namespace {

inline std::uint64_t mix(std::uint64_t x) noexcept
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

inline std::uint64_t load_tail(const char* p, std::size_t n) noexcept
{
    std::uint64_t v = 0;
    std::memcpy(&v, p, n);
    return v;
}

std::uint64_t series_hash(const ParseResult& r, const Sample& s) noexcept
{
    std::uint64_t h = hash_bytes(s.name);
    // Labels combine by addition so that their order does not matter.
    std::uint64_t sum = 0;
    const Label* l = r.labels_of(s);
    for (std::uint32_t i = 0; i < s.labels_count; ++i)
        sum += mix(hash_bytes(l[i].name) * 31 + hash_bytes(l[i].value));
    return mix(h ^ (sum + s.labels_count));
}

bool same_series(const ParseResult& r, const Sample& a, const Sample& b) noexcept
{
    if (a.name != b.name || a.labels_count != b.labels_count)
        return false;
    const Label* la = r.labels_of(a);
    const Label* lb = r.labels_of(b);
    for (std::uint32_t i = 0; i < a.labels_count; ++i) {
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

} // namespace

std::uint64_t hash_bytes(std::string_view s) noexcept
{
    const char* p = s.data();
    std::size_t n = s.size();
    std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    while (n >= 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        h = (h ^ v) * 0x100000001B3ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n)
        h = (h ^ load_tail(p, n)) * 0x100000001B3ULL;
    return mix(h);
}

void SeriesSet::reserve(std::size_t series)
{
    std::size_t want = 16;
    while (want < series * 2)
        want <<= 1;
    if (want <= slots_.size())
        return;
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(want, Slot{});
    used_ = 0;
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
        if (s.sample == kNone)
            continue;
        std::size_t i = s.hash & mask;
        while (slots_[i].sample != kNone)
            i = (i + 1) & mask;
        slots_[i] = s;
        ++used_;
    }
}

void SeriesSet::grow()
{
    reserve(slots_.empty() ? 8 : slots_.size());
}

std::uint32_t SeriesSet::insert(const ParseResult& r, std::uint32_t index)
{
    if ((used_ + 1) * 2 > slots_.size())
        grow();
    const Sample& s = r.samples[index];
    const std::uint64_t h = series_hash(r, s);
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    while (slots_[i].sample != kNone) {
        if (slots_[i].hash == h && same_series(r, r.samples[slots_[i].sample], s))
            return slots_[i].sample;
        i = (i + 1) & mask;
    }
    slots_[i] = Slot{h, index};
    ++used_;
    return kNone;
}

} // namespace fwm::parser
