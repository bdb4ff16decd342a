// A Fireworks-like HTTPS endpoint on 127.0.0.1 for the tests, written with
// Beast. It serves what its handler says and can misbehave on demand:
// close mid-body, drip bytes, never answer, send garbage or a truncated
// chunked body. It keeps a log of every request it received.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_pki.hpp"

namespace fwm::test {

struct Reply {
    enum class Mode {
        normal,
        close_mid_body,    // headers promise the whole body; half arrives, then the socket closes
        drip,              // one byte every drip_interval
        never,             // read the request, never answer
        garbage,           // bytes that are not HTTP, then close
        truncated_chunked, // a chunked body without its last chunk, then close
        raw,               // `body` written as it is (status line and headers included)
        flood,             // `body` as it is, then `flood_piece` again and again up to `flood_bytes`
    };
    Mode mode = Mode::normal;
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool gzip = false;    // send the body gzip-compressed
    bool chunked = false; // Transfer-Encoding: chunked instead of Content-Length
    bool keep_alive = true;
    bool close_after = false; // say keep-alive, then close anyway (a stale pooled connection)
    std::chrono::milliseconds drip_interval{100};
    std::chrono::milliseconds delay{0}; // wait before answering, like an endpoint far away
    std::string reason;                 // the reason phrase; a standard one when empty
    std::string flood_piece;
    std::size_t flood_bytes = 0;
    std::string late;                        // bytes sent unasked on the kept connection after late_delay
    std::chrono::milliseconds late_delay{0};
};

struct RequestRecord {
    std::chrono::steady_clock::time_point at;
    std::string method;
    std::string target;
    std::string host;
    std::string authorization;
    std::string proxy_authorization;
    std::string user_agent;
    std::string accept;
    std::string accept_encoding;
    std::string content_type;
    std::string body;           // a POST's body
    std::size_t connection = 0; // which accepted connection carried it
};

class TestServer {
public:
    struct Options {
        bool tls = true;
        CertKey cert;              // required when tls
        std::string client_ca;     // when set, clients must present a certificate from it

        Options(bool use_tls = true, CertKey certificate = {}, std::string require_client_ca = {})
            : tls(use_tls), cert(std::move(certificate)), client_ca(std::move(require_client_ca))
        {
        }
    };
    using Handler = std::function<Reply(const RequestRecord&, std::size_t index)>;

    explicit TestServer(Options options, Handler handler = {});
    ~TestServer();
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    unsigned short port() const;
    // https://localhost:<port><path> (http:// without TLS).
    std::string url(std::string_view path = "/v1/accounts/acme/metrics", std::string_view host = "localhost") const;
    void set_handler(Handler handler);
    std::vector<RequestRecord> requests() const;
    std::size_t connections() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A Reply with a Fireworks-shaped payload of `deployments` deployments.
Reply metrics_reply(unsigned deployments = 2);
std::string fireworks_payload(unsigned deployments);
std::string gzip_compress(std::string_view data);

} // namespace fwm::test
