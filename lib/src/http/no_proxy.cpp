#include "http/no_proxy.hpp"

#ifdef _WIN32
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif

#include <array>
#include <charconv>
#include <cstring>

#include "util/ascii.hpp"

namespace fwm::http {
namespace {

using util::ascii_lower;

struct Address {
    int family = 0; // AF_INET or AF_INET6
    std::array<unsigned char, 16> bytes{};
};

bool parse_ip(std::string_view text, Address& out)
{
    std::string s(text);
    if (s.size() > 2 && s.front() == '[' && s.back() == ']')
        s = s.substr(1, s.size() - 2);
    if (inet_pton(AF_INET, s.c_str(), out.bytes.data()) == 1) {
        out.family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), out.bytes.data()) == 1) {
        out.family = AF_INET6;
        return true;
    }
    return false;
}

bool in_cidr(const Address& ip, std::string_view cidr)
{
    const auto slash = cidr.find('/');
    Address net;
    if (!parse_ip(cidr.substr(0, slash), net) || net.family != ip.family)
        return false;
    const int max_bits = ip.family == AF_INET ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string_view::npos) {
        const std::string_view b = cidr.substr(slash + 1);
        const auto r = std::from_chars(b.data(), b.data() + b.size(), bits);
        if (r.ec != std::errc{} || r.ptr != b.data() + b.size() || bits < 0 || bits > max_bits)
            return false;
    }
    for (int i = 0; i < bits; ++i) {
        const int mask = 0x80 >> (i % 8);
        if ((ip.bytes[static_cast<std::size_t>(i / 8)] & mask) != (net.bytes[static_cast<std::size_t>(i / 8)] & mask))
            return false;
    }
    return true;
}

// Splits "host:port" (or "[v6]:port"); an entry without a port gives 0.
void split_port(std::string_view entry, std::string_view& host, unsigned& port)
{
    host = entry;
    port = 0;
    const auto colon = entry.rfind(':');
    if (colon == std::string_view::npos)
        return;
    const bool bracketed_v6 = !entry.empty() && entry[0] == '[' && entry.find(']') < colon;
    const bool bare_v6 = entry.find(':') != colon; // several colons: an IPv6 address
    if (bare_v6 && !bracketed_v6)
        return;
    const std::string_view p = entry.substr(colon + 1);
    unsigned value = 0;
    const auto r = std::from_chars(p.data(), p.data() + p.size(), value);
    if (r.ec == std::errc{} && r.ptr == p.data() + p.size()) {
        host = entry.substr(0, colon);
        port = value;
    }
}

} // namespace

NoProxy::NoProxy(std::string_view list)
{
    std::size_t i = 0;
    while (i < list.size()) {
        const auto end = list.find_first_of(", \t\n", i);
        const std::string_view item = list.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
        if (!item.empty())
            entries_.push_back(ascii_lower(item));
        if (end == std::string_view::npos)
            break;
        i = end + 1;
    }
}

NoProxy::NoProxy(std::vector<std::string> entries)
{
    for (auto& e : entries) {
        NoProxy part(e);
        entries_.insert(entries_.end(), part.entries_.begin(), part.entries_.end());
    }
}

bool NoProxy::bypass(std::string_view host_in, unsigned short port) const
{
    const std::string host = ascii_lower(host_in);
    Address ip;
    const bool is_ip = parse_ip(host, ip);
    for (const std::string& entry : entries_) {
        if (entry == "*")
            return true;
        std::string_view name;
        unsigned entry_port = 0;
        split_port(entry, name, entry_port);
        if (entry_port != 0 && entry_port != port)
            continue;
        if (is_ip) {
            if (in_cidr(ip, name))
                return true;
            continue;
        }
        if (!name.empty() && name[0] == '.')
            name.remove_prefix(1); // ".example.com" and "example.com" mean the same domain
        if (name.empty())
            continue;
        if (host == name)
            return true;
        if (host.size() > name.size() && host.compare(host.size() - name.size(), name.size(), name) == 0 &&
            host[host.size() - name.size() - 1] == '.')
            return true;
    }
    return false;
}

} // namespace fwm::http
