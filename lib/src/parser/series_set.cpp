#include "parser/series_set.hpp"

#include <algorithm>
#include <cstring>

namespace fwm::parser {
namespace {

inline std::uint64_t load64(const char* p) noexcept
{
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

inline std::uint32_t load32(const char* p) noexcept
{
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

inline std::uint64_t mix(std::uint64_t x) noexcept
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

// Two independent multiply lanes over a stream of strings: every step is a
// bijection of the lane state, so no input bit is lost before the final mix,
// and the two lanes keep the dependency chain short. Collisions only cost a
// full comparison, never a wrong answer.
class StreamHash {
public:
    void add(std::string_view s) noexcept
    {
        const char* p = s.data();
        std::size_t n = s.size();
        while (n > 16) {
            a_ = (a_ ^ load64(p)) * kA;
            b_ = (b_ ^ load64(p + 8)) * kB;
            p += 16;
            n -= 16;
        }
        std::uint64_t x = 0, y = 0;
        if (n >= 8) {
            x = load64(p);
            y = load64(p + n - 8);
        } else if (n >= 4) {
            x = load32(p);
            y = load32(p + n - 4);
        } else if (n > 0) {
            x = static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16 |
                static_cast<std::uint64_t>(static_cast<unsigned char>(p[n >> 1])) << 8 |
                static_cast<unsigned char>(p[n - 1]);
        }
        // The length closes the string, so "ab"+"c" differs from "a"+"bc".
        a_ = (a_ ^ x ^ (s.size() << 56)) * kA;
        b_ = (b_ ^ y ^ s.size()) * kB;
    }

    std::uint64_t finish() const noexcept { return mix(a_ ^ (b_ >> 1) ^ (b_ << 63)); }

private:
    static constexpr std::uint64_t kA = 0x9E3779B97F4A7C15ULL;
    static constexpr std::uint64_t kB = 0xC2B2AE3D27D4EB4FULL;
    std::uint64_t a_ = 0x243F6A8885A308D3ULL;
    std::uint64_t b_ = 0x13198A2E03707344ULL;
};

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

std::uint64_t series_hash(const ParseResult& r, const Sample& s) noexcept
{
    StreamHash h;
    h.add(s.name);
    const Label* l = r.labels_of(s);
    const std::uint32_t n = s.labels_count;
    if (s.labels_sorted) { // what exporters write, so the common case
        for (std::uint32_t i = 0; i < n; ++i) {
            h.add(l[i].name);
            h.add(l[i].value);
        }
        return h.finish();
    }
    std::vector<const Label*> order(n);
    for (std::uint32_t i = 0; i < n; ++i)
        order[i] = &l[i];
    std::sort(order.begin(), order.end(), [](const Label* x, const Label* y) { return x->name < y->name; });
    for (const Label* x : order) {
        h.add(x->name);
        h.add(x->value);
    }
    return h.finish();
}

SeriesSet::SeriesSet(std::size_t series)
{
    std::size_t size = 16;
    while (size < series * 2) // load factor at most 1/2
        size <<= 1;
    slots_.resize(size);
    mask_ = size - 1;
}

std::uint32_t SeriesSet::insert(const ParseResult& r, std::uint32_t index, std::uint64_t hash)
{
    const Sample& s = r.samples[index];
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    std::size_t i = static_cast<std::uint32_t>(hash) & mask_;
    while (slots_[i].sample != kNone) {
        if (slots_[i].tag == tag && same_series(r, r.samples[slots_[i].sample], s))
            return slots_[i].sample;
        i = (i + 1) & mask_;
    }
    slots_[i] = Slot{tag, index};
    return kNone;
}

} // namespace fwm::parser
