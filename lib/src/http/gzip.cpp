#include "http/gzip.hpp"

#include <zlib.h>

#include <algorithm>

namespace fwm::http {

InflateStatus gunzip(std::string_view compressed, std::size_t max_bytes, std::string& out, std::string& error)
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
    // Grow geometrically, never past the cap (+1 byte to notice overflow).
    std::size_t capacity = std::min<std::size_t>(std::max<std::size_t>(compressed.size() * 4, 64 * 1024), max_bytes + 1);
    for (;;) {
        const std::size_t have = out.size() - start;
        if (have >= capacity) {
            if (capacity > max_bytes)
                return InflateStatus::too_large;
            capacity = std::min<std::size_t>(capacity * 2, max_bytes + 1);
        }
        out.resize(start + capacity);
        z.next_out = reinterpret_cast<Bytef*>(&out[start + have]);
        z.avail_out = static_cast<uInt>(std::min<std::size_t>(capacity - have, 1u << 30));
        const int rc = inflate(&z, Z_NO_FLUSH);
        const std::size_t produced = capacity - have - z.avail_out;
        out.resize(start + have + produced);
        if (out.size() - start > max_bytes)
            return InflateStatus::too_large;
        if (rc == Z_STREAM_END) {
            if (z.avail_in != 0) {
                // Concatenated gzip members are legal; start the next one.
                if (inflateReset(&z) != Z_OK) {
                    error = "zlib could not continue";
                    return InflateStatus::corrupt;
                }
                continue;
            }
            return InflateStatus::ok;
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
