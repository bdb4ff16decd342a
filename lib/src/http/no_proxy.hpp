// no_proxy matching as Datadog's HTTP wrapper does it: an exact host, a
// domain suffix ("example.com" and ".example.com" both match its
// subdomains; the first also matches itself), "*" for everything, and IP
// addresses inside CIDR blocks ("10.0.0.0/8", "::1/128"). An entry may carry
// a port ("host:8443"), which then must match too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fwm::http {

class NoProxy {
public:
    NoProxy() = default;
    // Entries separated by commas or whitespace.
    explicit NoProxy(std::string_view list);
    explicit NoProxy(std::vector<std::string> entries);

    bool bypass(std::string_view host, unsigned short port) const;
    bool empty() const { return entries_.empty(); }

private:
    std::vector<std::string> entries_;
};

} // namespace fwm::http
