// fwm_test_endpoint: the test server as a process, for the Python tests.
//
//   fwm_test_endpoint [--payload FILE] [--deployments N] [--key KEY] [--gzip] [--rate-limit N]
//                     [--fleet ACCOUNT] [--page-size N] [--api-fault hang|503|slow]
//                     [--costs-scope any|self-only] [--suspend-state STATE]
//
// Makes a test PKI, serves HTTPS on a free 127.0.0.1 port, prints one JSON
// line {"port":P,"ca_cert":"...","url":"..."} and serves until standard
// input closes. /v1/accounts/<id>/metrics answers with FILE (read again on
// every request) or a generated payload; a wrong Bearer key gets 401;
// /status/<code> answers with that status; with --rate-limit, more than N
// metrics requests in 60 s get a 429 with Retry-After, as Fireworks does.
// With --fleet, /v1/accounts/ACCOUNT and the REST paths under it (deployments,
// billingUsage, quotas, usageCosts:query, billing/summary, a deployment's
// terminationMessage) answer as fleet_api.hpp describes, for the deployments
// of the metrics served (pages of at most --page-size, 2 unless set); other
// paths under it but metrics answer 404. --api-fault makes every REST path
// never answer, answer 503, or answer 1.5 s late. --costs-scope self-only
// refuses usageCosts:query with scope ACCOUNT (403), as for a key that is
// not an account administrator. --suspend-state gives the account that
// suspendState at every reading (else it is CREDIT_DEPLETED at its third only).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "fleet_api.hpp"
#include "test_pki.hpp"
#include "test_server.hpp"

using namespace fwm::test;

int main(int argc, char** argv)
{
    std::string payload_file, key;
    unsigned deployments = 3;
    bool gzip = false;
    unsigned rate_limit = 0;
    std::string fleet_account;
    unsigned page_size = 2;
    std::string api_fault; // hang, 503 or slow: how the REST API answers
    bool costs_self_only = false;
    std::string suspend_state; // the account's at every reading
    std::deque<std::chrono::steady_clock::time_point> recent;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--payload" && i + 1 < argc)
            payload_file = argv[++i];
        else if (a == "--deployments" && i + 1 < argc)
            deployments = static_cast<unsigned>(std::stoul(argv[++i]));
        else if (a == "--key" && i + 1 < argc)
            key = argv[++i];
        else if (a == "--gzip")
            gzip = true;
        else if (a == "--rate-limit" && i + 1 < argc)
            rate_limit = static_cast<unsigned>(std::stoul(argv[++i]));
        else if (a == "--fleet" && i + 1 < argc)
            fleet_account = argv[++i];
        else if (a == "--page-size" && i + 1 < argc)
            page_size = static_cast<unsigned>(std::stoul(argv[++i]));
        else if (a == "--api-fault" && i + 1 < argc)
            api_fault = argv[++i];
        else if (a == "--suspend-state" && i + 1 < argc)
            suspend_state = argv[++i];
        else if (a == "--costs-scope" && i + 1 < argc && (argv[i + 1] == std::string("any") ||
                                                          argv[i + 1] == std::string("self-only")))
            costs_self_only = argv[++i] == std::string("self-only");
        else {
            std::fprintf(stderr,
                         "usage: %s [--payload FILE] [--deployments N] [--key KEY] [--gzip] [--rate-limit N] "
                         "[--fleet ACCOUNT] [--page-size N] [--api-fault hang|503|slow] [--costs-scope any|self-only] [--suspend-state STATE]\n",
                         argv[0]);
            return 2;
        }
    }
    const auto read_payload = [&] {
        if (payload_file.empty())
            return fireworks_payload(deployments);
        std::ifstream in(payload_file, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    FleetApi fleet(fleet_account, [&] { return deployments_in(read_payload()); }, page_size, costs_self_only, suspend_state);
    const TestPki pki = make_test_pki();
    TestServer server({true, pki.server}, [&](const RequestRecord& req, std::size_t) {
        Reply r;
        if (req.target.rfind("/status/", 0) == 0) {
            r.status = static_cast<unsigned>(std::stoul(req.target.substr(8)));
            r.body = "status " + req.target.substr(8) + "\n";
            if (r.status == 429)
                r.headers.emplace_back("Retry-After", "30");
            return r;
        }
        if (!key.empty() && req.authorization != "Bearer " + key) {
            r.status = 401;
            r.body = "{\"error\":\"unauthorized\"}";
            return r;
        }
        const bool rest = FleetApi::rest_target(req.target) || req.target.find("/deployments") != std::string::npos ||
                          req.target.find("/billingUsage") != std::string::npos;
        if (rest && api_fault == "hang") {
            r.mode = Reply::Mode::never;
            return r;
        }
        if (rest && api_fault == "503") {
            r.status = 503;
            r.body = "{\"error\":\"unavailable\"}";
            return r;
        }
        if (!fleet_account.empty())
            if (auto answer = fleet.answer(req)) {
                if (api_fault == "slow") // answers, but 1.5 s late
                    answer->delay = std::chrono::milliseconds(1500);
                return *answer;
            }
        if (rate_limit > 0) {
            while (!recent.empty() && req.at - recent.front() >= std::chrono::seconds(60))
                recent.pop_front();
            if (recent.size() >= rate_limit) {
                const auto wait = std::chrono::ceil<std::chrono::seconds>(recent.front() + std::chrono::seconds(60) - req.at);
                r.status = 429;
                r.headers.emplace_back("Retry-After", std::to_string(std::max<long long>(1, wait.count())));
                r.body = "{\"error\":\"rate limit exceeded\"}";
                return r;
            }
            recent.push_back(req.at);
        }
        r = metrics_reply(deployments);
        r.body = read_payload();
        r.gzip = gzip;
        return r;
    });
    std::cout << "{\"port\":" << server.port() << ",\"ca_cert\":\"" << pki.ca_cert << "\",\"url\":\""
              << server.url() << "\"}" << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    std::filesystem::remove_all(pki.dir);
    return 0;
}
