// URL work before Boost.URL (url_before.cpp, the old hand-written code) and
// after it (the library), side by side in one run:
//
//   bench_url [--iterations N]      (default 1000000)
//
// For each kind of work, N calls go round a set of typical inputs, for the
// old code and then the new, three times over; the best time of each is
// reported in ns per call. The results of both are compared first, and the
// inputs where they differ are listed (a redirect's dot segments, say).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "fleet/api_target.hpp"
#include "http/url.hpp"
#include "support/old_percent_encode.hpp"
#include "url_before.hpp"

using fwm::test::old_percent_encode;

namespace {

using fwm::http::Url;
using fwm::http::UrlRules;

const std::vector<std::string> kEndpoints = {
    "https://api.fireworks.ai/v1/accounts/my-team/metrics",
    "HTTPS://API.Fireworks.ai/v1/accounts/x/metrics?a=1#frag",
    "https://[::1]:8443/v1/accounts/a/metrics",
    "http://localhost:9090/metrics",
    "https://metrics.internal.example.com:8443/federate?match[]=up",
    "api.fireworks.ai/metrics", // refused
};
const std::vector<std::string> kProxies = {"http://user:p%40ss@proxy.internal:3128", "http://proxy:3128",
                                           "http://u:s3cr/t#x@10.0.0.1:8080"};
const std::vector<std::string> kLocations = {"/v1/accounts/acme/metrics2", "metrics?page=2", "../other/m",
                                             "https://api.fireworks.ai/x", "//cdn.fireworks.ai/m", "?q=1"};


const std::vector<std::string> kTokens = {"p2+/==", "CiQ4ZjZhN2E2Ni0xYjM0LTQyZmQtOTQ1MS1hZjM2YmZlNmUxNGU=",
                                          "2026-12-01T00:00:00Z"};

// One call: a URL, or nullopt and `error` (a REST target comes as a Url's target).
using Work = std::function<std::optional<Url>(const std::string&, std::string& error)>;

std::string shown(const std::optional<Url>& u, const std::string& error)
{
    return u ? u->redacted() + " user=" + u->user + " password=" + u->password : "error: " + error;
}

struct Case {
    const char* name;
    const std::vector<std::string>* inputs;
    Work before, after;
};

std::optional<Url> as_url(std::string target)
{
    Url u;
    u.target = std::move(target);
    return u;
}

std::vector<Case> cases(const Url& base)
{
    namespace b = fwm::http::before;
    namespace a = fwm::http;
    std::vector<Case> out;
    out.push_back({"parse_url (endpoints)", &kEndpoints,
                   [](const std::string& s, std::string& e) { return b::parse_url(s, e); },
                   [](const std::string& s, std::string& e) { return a::parse_url(s, e); }});
    out.push_back({"parse_url (proxies)", &kProxies,
                   [](const std::string& s, std::string& e) { return b::parse_url(s, e, UrlRules::proxy); },
                   [](const std::string& s, std::string& e) { return a::parse_url(s, e, UrlRules::proxy); }});
    out.push_back({"resolve_location", &kLocations,
                   [base](const std::string& s, std::string& e) { return b::resolve_location(base, s, e); },
                   [base](const std::string& s, std::string& e) { return a::resolve_location(base, s, e); }});
    out.push_back({"REST target (page token)", &kTokens,
                   [](const std::string& t, std::string&) {
                       return as_url("/v1/accounts/acme/deployments?pageSize=200&pageToken=" + old_percent_encode(t));
                   },
                   [](const std::string& t, std::string&) {
                       return as_url(
                           fwm::fleet::ApiTarget("acme").path("deployments").param("pageSize", "200").param("pageToken", t).str());
                   }});
    return out;
}

double run(const Work& work, const std::vector<std::string>& inputs, long iterations, std::size_t& sink)
{
    std::string error;
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < iterations; ++i) {
        const auto u = work(inputs[static_cast<std::size_t>(i) % inputs.size()], error);
        sink += u ? u->target.size() : error.size();
    }
    const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
    return took.count() / static_cast<double>(iterations);
}

} // namespace

int main(int argc, char** argv)
{
    long iterations = 1000000;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = std::atol(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: %s [--iterations N]\n", argv[0]);
            return 2;
        }
    }
    std::string e;
    const Url base = *fwm::http::parse_url("https://api.fireworks.ai/v1/accounts/acme/metrics", e);
    std::size_t sink = 0;
    std::printf("%-26s %12s %12s  (%ld calls each, best of 3)\n", "work", "before ns", "after ns", iterations);
    for (const Case& c : cases(base)) {
        for (const std::string& in : *c.inputs) {
            std::string e1, e2;
            const std::string x = shown(c.before(in, e1), e1), y = shown(c.after(in, e2), e2);
            if (x != y)
                std::printf("  differs for \"%s\": before %s, after %s\n", in.c_str(), x.c_str(), y.c_str());
        }
        double before = 1e300, after = 1e300;
        for (int round = 0; round < 3; ++round) {
            before = std::min(before, run(c.before, *c.inputs, iterations, sink));
            after = std::min(after, run(c.after, *c.inputs, iterations, sink));
        }
        std::printf("%-26s %12.1f %12.1f\n", c.name, before, after);
    }
    return sink == 0; // keeps the work from being optimised away
}
