#include "client_support.hpp"

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#else
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "collector/report.hpp"
#include "parser/result_json.hpp"
#include "util/status.hpp"
#include "util/text.hpp"
#include "http/config.hpp"
#include "util/platform.hpp"

namespace fwm::test {

const TestPki& pki()
{
    // Made once per test process and removed when it exits.
    struct Holder {
        TestPki pki = make_test_pki();
        ~Holder() { std::filesystem::remove_all(pki.dir); }
    };
    static const Holder holder;
    return holder.pki;
}

std::string unique_account()
{
    static std::atomic<unsigned> n{0};
    return "acct" + std::to_string(util::process_id()) + "x" + std::to_string(++n);
}

std::string proxy_json(unsigned short port, const std::string& userinfo, const std::string& no_proxy)
{
    std::string p = "\"proxy\":{\"https\":\"http://" + userinfo + (userinfo.empty() ? "" : "@") + "127.0.0.1:" +
                    std::to_string(port) + "\"";
    if (!no_proxy.empty())
        p += ",\"no_proxy\":" + no_proxy;
    return p + "}";
}

std::string client_json(const std::string& url, const std::string& extra, const std::string& account)
{
    std::string json = "{\"openmetrics_endpoint\":\"" + url + "\",\"api_key\":\"" + kSecretKey +
                       "\",\"account_id\":\"" + (account.empty() ? unique_account() : account) +
                       "\",\"tls_ca_cert\":\"" + pki().ca_cert + "\",\"max_requests_per_minute\":6";
    if (!extra.empty())
        json += "," + extra;
    return json + "}";
}

rapidjson::Document parse_json(const std::string& text)
{
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    BOOST_TEST_REQUIRE(!doc.HasParseError(), text.substr(0, 200));
    return doc;
}

http::Client make_client(const std::string& json)
{
    return http::Client(http::read_client_config(json.c_str()));
}

Timed timed_collect(http::Client& client)
{
    const auto t0 = std::chrono::steady_clock::now();
    Timed t;
    t.got = client.collect();
    t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return t;
}

void check_no_key(const http::Collected& got)
{
    BOOST_TEST(got.info.message.find(kSecretKey) == std::string::npos);
    BOOST_TEST(clean_message(got.info.message), "not clean text: " << got.info.message);
    const std::string summary = parser::summary_json(
        parser::ParseResult{}, {{"collection", [&](util::JsonWriter& w) { collector::write_collection(w, got.info); }}});
    BOOST_TEST(summary.find(kSecretKey) == std::string::npos);
}

void check_failure(const Timed& t, int status, const std::string& message_part, double max_seconds)
{
    BOOST_TEST(fwm::util::status_name(t.got.info.status) == fwm::util::status_name(status), "message: " << t.got.info.message);
    BOOST_TEST(t.got.info.message.find(message_part) != std::string::npos,
               "'" << t.got.info.message << "' should contain '" << message_part << "'");
    BOOST_TEST(t.seconds <= max_seconds, "took " << t.seconds << " s, bound " << max_seconds << " s");
    BOOST_TEST(!t.got.payload);
    check_no_key(t.got);
    BOOST_TEST_MESSAGE("fault: " << fwm::util::status_name(status) << " in " << t.seconds << " s: " << t.got.info.message);
}

void check_ok(const http::Collected& got)
{
    BOOST_TEST(got.info.status == FWM_OK, "message: " << got.info.message);
    BOOST_TEST(got.info.message.empty());
    BOOST_TEST_REQUIRE(got.payload != nullptr);
    BOOST_TEST(!got.payload->body.empty());
    check_no_key(got);
}

std::size_t rss_kib()
{
#ifdef _WIN32
    PROCESS_MEMORY_COUNTERS c{};
    ::GetProcessMemoryInfo(::GetCurrentProcess(), &c, sizeof c);
    return c.WorkingSetSize / 1024;
#endif
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoul(line.substr(6));
    return 0;
}

PeakRss::PeakRss()
    : baseline_(rss_kib()), peak_(baseline_)
{
    thread_ = std::thread([this] {
        while (!stop_.load()) {
            const std::size_t now = rss_kib();
            if (now > peak_.load())
                peak_.store(now);
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    });
}

PeakRss::~PeakRss()
{
    stop_.store(true);
    thread_.join();
}

std::size_t PeakRss::peak_kib() const
{
    return std::max(peak_.load(), rss_kib());
}

#ifndef _WIN32
int wait_child(int pid, std::chrono::seconds limit)
{
    int status = -1;
    const auto end = std::chrono::steady_clock::now() + limit;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() >= end) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
#endif

bool clean_message(const std::string& s)
{
    return util::is_clean_text(s);
}

unsigned short free_port()
{
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    return a.local_endpoint().port();
}

namespace {

bool accepts(unsigned short port)
{
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    s.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port), ec);
    return !ec;
}

} // namespace

#ifdef _WIN32
Tinyproxy::Tinyproxy(const std::string&)
{
    // Debian's tinyproxy is a Linux program: the proxy suites run on Linux only.
    throw std::runtime_error("no tinyproxy on Windows");
}

Tinyproxy::~Tinyproxy() = default;
#else
Tinyproxy::Tinyproxy(const std::string& basic_auth)
{
    if (::access("/usr/bin/tinyproxy", X_OK) != 0)
        throw std::runtime_error("/usr/bin/tinyproxy is missing: run packaging/install-deps.sh");
    char pattern[] = "/tmp/fwm-tinyproxy-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    ::chmod(dir_.c_str(), 0777); // tinyproxy drops to nobody and still writes its log here
    port_ = free_port();
    std::ofstream conf(dir_ + "/tinyproxy.conf");
    conf << "User nobody\nGroup nogroup\nPort " << port_ << "\nListen 127.0.0.1\nTimeout 30\n"
         << "LogFile \"" << dir_ << "/tinyproxy.log\"\nLogLevel Info\nMaxClients 64\nAllow 127.0.0.1\n"
         << "DisableViaHeader Yes\n";
    if (!basic_auth.empty()) {
        const auto colon = basic_auth.find(':');
        conf << "BasicAuth " << basic_auth.substr(0, colon) << " " << basic_auth.substr(colon + 1) << "\n";
    }
    conf.close();
    pid_ = ::fork();
    if (pid_ == 0) {
        const std::string conf_path = dir_ + "/tinyproxy.conf";
        ::execl("/usr/bin/tinyproxy", "tinyproxy", "-d", "-c", conf_path.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    for (int i = 0; i < 100 && !accepts(port_); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!accepts(port_))
        throw std::runtime_error("tinyproxy did not start on port " + std::to_string(port_));
}

Tinyproxy::~Tinyproxy()
{
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}
#endif

std::string Tinyproxy::log() const
{
    std::ifstream in(dir_ + "/tinyproxy.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace fwm::test
