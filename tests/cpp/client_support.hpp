// Shared by the client suites: the test PKI, configs with a secret key that
// must never leak, timing, and a real tinyproxy process.
#pragma once

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <string>

#include <rapidjson/document.h>

#include "fwm/fwm.h"
#include "http/client.hpp"
#include "test_pki.hpp"
#include "test_server.hpp"

namespace fwm::test {

// Never appears in a message, a summary or a log: the tests grep for it.
inline constexpr const char* kSecretKey = "fw-SECRET-3b9e1c77d2a4-never-print-me";

const TestPki& pki();

// A config for `url` trusting the test CA, under an account of its own (the
// limiter is process-wide), as JSON. `extra` is inserted as more members.
std::string client_json(const std::string& url, const std::string& extra = "", const std::string& account = "");
std::string unique_account();
// The "proxy" option for an https:// endpoint through 127.0.0.1:port.
std::string proxy_json(unsigned short port, const std::string& userinfo = "", const std::string& no_proxy = "");

struct Timed {
    http::Collected got;
    double seconds = 0;
};
Timed timed_collect(http::Client& client);

// Asserts a failed collection: its status, a part of its message, its time
// bound, and that no message or summary carries the key.
void check_failure(const Timed& t, int status, const std::string& message_part, double max_seconds);
void check_ok(const http::Collected& got);

http::Client make_client(const std::string& json);

// `text` read as strict JSON, or the test stops there.
rapidjson::Document parse_json(const std::string& text);

// tinyproxy from Debian on a free loopback port, stopped with the object.
class Tinyproxy {
public:
    explicit Tinyproxy(const std::string& basic_auth = ""); // "user:password" or none
    ~Tinyproxy();
    unsigned short port() const { return port_; }
    std::string log() const;

private:
    std::string dir_;
    unsigned short port_ = 0;
    int pid_ = -1;
};

unsigned short free_port();

// Resident memory of this process, in KiB (VmRSS).
std::size_t rss_kib();

// Samples rss_kib() every few milliseconds while it lives; peak() is the
// highest reading, so that a transient allocation is seen.
class PeakRss {
public:
    PeakRss();
    ~PeakRss();
    std::size_t baseline_kib() const { return baseline_; }
    std::size_t peak_kib() const;

private:
    std::size_t baseline_;
    std::atomic<std::size_t> peak_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// Waits for a forked child for at most `limit`; kills it if it hangs.
// Returns its exit code, or -1 when it hung or did not exit normally.
#ifndef _WIN32
int wait_child(int pid, std::chrono::seconds limit);
#endif

// True when `s` is what every message of the library must be: valid UTF-8
// without control or invisible steering characters (util::is_clean_text).
bool clean_message(const std::string& s);

} // namespace fwm::test
