#include "http/gzip.hpp"

#include <zlib.h>

#include <algorithm>

namespace fwm::http {

namespace {

// What to reserve: what the gzip trailer says the body inflates to (ISIZE,
// the size mod 2^32), within the cap, so that the string never doubles and
// copies itself. Reserving only maps address space; pages are touched
// chunk by chunk as inflation writes them, so a lying trailer costs no
// memory. Windows charges what is reserved against its commit limit at once
// (util/platform.cpp): there the trailer is believed up to 64 times the
// compressed size, past what Fireworks' text reaches.
std::size_t reserve_for(std::string_view compressed, std::size_t max_bytes)
{
    std::size_t hint = compressed.size() * 4;
    const auto* b = reinterpret_cast<const unsigned char*>(compressed.data());
    if (compressed.size() >= 18 && b[0] == 0x1f && b[1] == 0x8b) {
        const std::size_t n = compressed.size();
        hint = static_cast<std::size_t>(b[n - 4]) | static_cast<std::size_t>(b[n - 3]) << 8 |
               static_cast<std::size_t>(b[n - 2]) << 16 | static_cast<std::size_t>(b[n - 1]) << 24;
#ifdef _WIN32
        hint = std::min(hint, compressed.size() * 64);
#endif
    }
    return std::min<std::size_t>(std::max<std::size_t>(hint, 64 * 1024), max_bytes) + 1;
}

// One call of inflate() into the next chunk of `out` (which holds `have`
// bytes of this body after `start`); returns zlib's code.
int inflate_chunk(z_stream& z, util::BigString& out, std::size_t start, std::size_t max_bytes)
{
    constexpr std::size_t kChunk = 1 << 20;
    const std::size_t have = out.size() - start;
    std::size_t room = std::min(kChunk, max_bytes + 1 - have); // +1 byte to notice overflow
    // Up to the reserved size, never past it while room is left: a resize
    // past the capacity would copy the whole body to a block twice its
    // size, for the last chunk.
    const std::size_t used = start + have;
    if (used < out.capacity())
        room = std::min(room, out.capacity() - used);
    out.resize(used + room);
    z.next_out = reinterpret_cast<Bytef*>(&out[used]);
    z.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.resize(used + (room - z.avail_out));
    return rc;
}

} // namespace

InflateStatus gunzip(std::string_view compressed, std::size_t max_bytes, util::BigString& out, std::string& error)
{
    z_stream z{};
    // 15 + 32: a gzip or zlib header, detected automatically.
    if (inflateInit2(&z, 15 + 32) != Z_OK) {
        error = "zlib could not start";
        return InflateStatus::corrupt;
    }
    struct Guard {
        z_stream* z;
        ~Guard() { inflateEnd(z); }
    } guard{&z};

    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    z.avail_in = static_cast<uInt>(compressed.size());
    const std::size_t start = out.size();
    out.reserve(start + reserve_for(compressed, max_bytes));
    for (;;) {
        if (out.size() - start > max_bytes)
            return InflateStatus::too_large;
        const int rc = inflate_chunk(z, out, start, max_bytes);
        if (out.size() - start > max_bytes)
            return InflateStatus::too_large;
        if (rc == Z_STREAM_END && z.avail_in == 0)
            return InflateStatus::ok;
        if (rc == Z_STREAM_END) { // concatenated gzip members are legal: start the next one
            if (inflateReset(&z) == Z_OK)
                continue;
            error = "zlib could not continue";
            return InflateStatus::corrupt;
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0) {
            error = "compressed body ends early";
            return InflateStatus::corrupt;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            error = z.msg ? z.msg : "invalid compressed data";
            return InflateStatus::corrupt;
        }
    }
}

} // namespace fwm::http
