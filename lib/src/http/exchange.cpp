#include "http/exchange.hpp"

#include <algorithm>
#include <cstdio>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>

#include "fwm/fwm.h"
#include "fwm/version.h"
#include "http/await.hpp"
#include "http/basic_auth.hpp"
#include "http/resolve.hpp"
#include "http/tls_context.hpp"
#include "util/ascii.hpp"
#include "util/text.hpp"

namespace fwm::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr const char* kUserAgent = "datadog-fireworks-check/" FWM_VERSION_STRING " (libfwm)";
constexpr const char* kAccept = "text/plain;version=0.0.4;q=1.0,application/openmetrics-text;version=1.0.0;q=0.5";
constexpr int kStale = -1; // a kept-alive connection the server had closed: reconnect once

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::string seconds_text(Clock::duration d)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", std::chrono::duration<double>(d).count());
    return buf;
}

Failure fail(int status, std::string message, bool retryable)
{
    return Failure{status, std::move(message), retryable};
}

Failure cancelled()
{
    return fail(FWM_ERR_CANCELLED, "the collection was cancelled (the check is being unscheduled)", false);
}

bool closed_by_peer(const error_code& ec)
{
    return ec == asio::error::eof || ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated ||
           ec == bhttp::error::partial_message;
}

Clock::time_point sooner(Clock::time_point a, Clock::time_point b)
{
    return a < b ? a : b;
}

// Turns an error during `step` (which names the peer, e.g. "waiting for
// the response from host:443") into a message a user can act on.
Failure network_failure(const std::string& step, const error_code& ec, Clock::duration waited,
                        const Interrupt& interrupt)
{
    if (interrupt.requested)
        return cancelled();
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted || ec == asio::error::timed_out)
        return fail(FWM_ERR_TIMEOUT,
                    "timed out after " + seconds_text(waited) + " while " + step +
                        ": the endpoint is slow or unreachable; check the network or raise timeout",
                    true);
    if (ec == asio::error::connection_refused)
        return fail(FWM_ERR_CONNECT, step + ": connection refused: check openmetrics_endpoint, the proxy and the network",
                    true);
    if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again ||
        ec == asio::error::no_data)
        return fail(FWM_ERR_CONNECT, step + ": host not found: check openmetrics_endpoint and DNS", true);
    if (ec == bhttp::error::body_limit)
        return fail(FWM_ERR_RESPONSE_TOO_LARGE,
                    step + ": the response is larger than max_response_bytes: raise max_response_bytes", false);
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
        return fail(FWM_ERR_PROTOCOL,
                    step + ": the response's headers, chunk extensions or trailers are larger than " +
                        std::to_string(kHeaderLimit / 1024) + " KiB: the endpoint is misbehaving",
                    false);
    if (closed_by_peer(ec))
        return fail(FWM_ERR_NETWORK,
                    "the connection closed while " + step + " (" + ec.message() +
                        "): the check retries; if it persists, check the proxy and the network",
                    true);
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())
        return fail(FWM_ERR_PROTOCOL,
                    step + ": not valid HTTP (" + ec.message() + "): check that openmetrics_endpoint is the metrics URL",
                    false);
    return fail(FWM_ERR_NETWORK, step + ": " + ec.message() + ": check the network and the proxy", true);
}

// ---- steps -------------------------------------------------------------

// Resolve and connect to `hop` (the endpoint, or the proxy in front of it).
// The socket goes into conn.plain first, so that cancel() can close it.
asio::awaitable<Failure> connect_step(Connection& conn, const Url& hop, const std::string& peer,
                                      std::shared_ptr<Runtime> runtime, Clock::time_point step_deadline,
                                      Interrupt& interrupt)
{
    const auto started = Clock::now();
    Resolved where = co_await resolve(runtime, hop.host, hop.port, step_deadline, interrupt);
    if (where.ec) {
        Failure f = network_failure("resolving " + peer, where.ec, Clock::now() - started, interrupt);
        if (!where.detail.empty() && f.status == FWM_ERR_CONNECT)
            f.message = "resolving " + peer + ": " + util::clean_text(where.detail, 200) +
                        ": check openmetrics_endpoint and DNS";
        else if (!where.detail.empty() && f.status == FWM_ERR_TIMEOUT)
            f.message += " (" + util::clean_text(where.detail, 200) + ")";
        co_return f;
    }
    conn.plain = std::make_unique<beast::tcp_stream>(runtime->context());
    conn.plain->expires_at(step_deadline);
    auto ec_result = co_await conn.plain->async_connect(where.endpoints, kAwait);
    const error_code ec = std::get<0>(ec_result);
    const auto endpoint = std::get<1>(ec_result);
    (void)endpoint;
    if (ec || interrupt.requested)
        co_return network_failure("connecting to " + peer, ec, Clock::now() - started, interrupt);
    error_code ignored;
    conn.plain->socket().set_option(tcp::no_delay(true), ignored);
    co_return Failure{};
}

// CONNECT host:port through an HTTP proxy; the tunnel then carries TLS.
asio::awaitable<Failure> tunnel_step(beast::tcp_stream& tcp, const Url& proxy, const Url& url,
                                     Clock::time_point step_deadline, const Interrupt& interrupt)
{
    const std::string where = "proxy " + proxy.authority();
    const std::string target = url.host.find(':') != std::string::npos
                                   ? "[" + url.host + "]:" + std::to_string(url.port)
                                   : url.host + ":" + std::to_string(url.port);
    bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, target, 11};
    req.set(bhttp::field::host, target);
    req.set(bhttp::field::user_agent, kUserAgent);
    if (proxy.has_credentials())
        req.set(bhttp::field::proxy_authorization, basic_credentials(proxy.user, proxy.password));
    const auto started = Clock::now();
    tcp.expires_at(step_deadline);
    auto wec_result = co_await bhttp::async_write(tcp, req, kAwait);
    const error_code wec = std::get<0>(wec_result);
    const auto written = std::get<1>(wec_result);
    (void)written;
    if (wec || interrupt.requested)
        co_return network_failure("opening a tunnel through " + where, wec, Clock::now() - started, interrupt);
    beast::flat_buffer buffer{kReceiveBufferLimit};
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true); // a CONNECT response has no body
    parser.header_limit(kHeaderLimit);
    auto rec_result = co_await bhttp::async_read_header(tcp, buffer, parser, kAwait);
    const error_code rec = std::get<0>(rec_result);
    const auto got = std::get<1>(rec_result);
    (void)got;
    if (rec || interrupt.requested)
        co_return network_failure("opening a tunnel through " + where, rec, Clock::now() - started, interrupt);
    const unsigned status = parser.get().result_int();
    if (status == 200)
        co_return Failure{};
    // tinyproxy answers a failed Basic auth with 401, others with 407.
    std::string advice = status == 407 || status == 401 ? "check the user and password in the proxy URL"
                                                        : "check that the proxy allows CONNECT to " + target;
    co_return fail(FWM_ERR_PROXY,
                   where + " refused the tunnel to " + target + " with HTTP " + std::to_string(status) + " " +
                       util::clean_text(parser.get().reason(), 64) + ": " + advice,
                   false);
}

// TLS over the connected socket: conn.plain becomes conn.tls.
asio::awaitable<Failure> handshake_step(Connection& conn, const Url& url, const ClientConfig& config,
                                        asio::ssl::context& tls_ctx, Clock::time_point step_deadline,
                                        const Interrupt& interrupt)
{
    const auto started = Clock::now();
    conn.tls = std::make_unique<TlsStream>(std::move(*conn.plain), tls_ctx);
    conn.plain.reset();
    if (!prepare_tls_connection(conn.tls->native_handle(), url.host, config.tls))
        co_return fail(FWM_ERR_TLS, "tls setup for " + url.authority() + " failed", false);
    beast::get_lowest_layer(*conn.tls).expires_at(step_deadline);
    auto hec_result = co_await conn.tls->async_handshake(asio::ssl::stream_base::client, kAwait);
    const error_code hec = std::get<0>(hec_result);
    if (!hec && !interrupt.requested)
        co_return Failure{};
    if (interrupt.requested)
        co_return cancelled();
    const std::string why = verify_failure(conn.tls->native_handle());
    if (!why.empty())
        co_return fail(FWM_ERR_TLS,
                       "tls handshake with " + url.authority() + ": certificate verify failed (" + why +
                           "): check tls_ca_cert and that openmetrics_endpoint names the certificate's host",
                       false);
    Failure f = network_failure("doing the TLS handshake with " + url.authority(), hec, Clock::now() - started,
                                interrupt);
    if (f.status != FWM_ERR_TIMEOUT)
        f = fail(FWM_ERR_TLS,
                 "tls handshake with " + url.authority() + " failed (" + hec.message() +
                     "): check that the endpoint speaks HTTPS, and the tls_* options",
                 false);
    co_return f;
}

// The request, with the key; never logged. A POST when `post_json` is not
// empty (a REST query), else a GET.
bhttp::request<bhttp::string_body> make_request(const Url& url, const ClientConfig& config, const Url* plain_proxy,
                                                const std::string& post_json)
{
    bhttp::request<bhttp::string_body> req{post_json.empty() ? bhttp::verb::get : bhttp::verb::post,
                                           plain_proxy ? url.redacted() : url.target, 11};
    req.set(bhttp::field::host, url.authority());
    req.set(bhttp::field::authorization, "Bearer " + config.api_key);
    req.set(bhttp::field::user_agent, kUserAgent);
    req.set(bhttp::field::accept, config.purpose == Purpose::api ? "application/json" : kAccept);
    req.set(bhttp::field::accept_encoding, "gzip");
    if (plain_proxy && plain_proxy->has_credentials())
        req.set(bhttp::field::proxy_authorization, basic_credentials(plain_proxy->user, plain_proxy->password));
    if (!post_json.empty()) {
        req.set(bhttp::field::content_type, "application/json");
        req.body() = post_json;
        req.prepare_payload();
    }
    return req;
}

template <class Stream>
asio::awaitable<Failure> write_step(Stream& stream, const bhttp::request<bhttp::string_body>& req,
                                    const std::string& peer, const ClientConfig& config, Clock::time_point deadline,
                                    bool reused, const Interrupt& interrupt)
{
    const auto started = Clock::now();
    beast::get_lowest_layer(stream).expires_at(sooner(Clock::now() + config.read_timeout, deadline));
    auto ec_result = co_await bhttp::async_write(stream, req, kAwait);
    const error_code ec = std::get<0>(ec_result);
    const auto written = std::get<1>(ec_result);
    (void)written;
    if (!ec && !interrupt.requested)
        co_return Failure{};
    Failure f = network_failure("sending the request to " + peer, ec, Clock::now() - started, interrupt);
    if (reused && closed_by_peer(ec))
        f.status = kStale;
    co_return f;
}

// The final response's fields, each within its bound; the connection
// closes unless the server keeps it.
template <class Parser>
ExchangeResult final_response(Parser& parser, Connection& conn, unsigned interim, std::size_t received, bool reused)
{
    ExchangeResult out;
    auto& res = parser.get();
    const unsigned status = res.result_int();
    out.ok = true;
    out.response.status = status;
    out.response.interim = interim;
    out.response.content_type = util::clean_text(res[bhttp::field::content_type], 128);
    out.response.content_encoding = util::ascii_lower(res[bhttp::field::content_encoding].substr(0, 64));
    out.response.location = std::string(res[bhttp::field::location].substr(0, 8192));
    out.response.retry_after = std::string(res[bhttp::field::retry_after].substr(0, 64));
    out.response.wire_bytes = received;
    out.response.reused_connection = reused;
    const bool keep = res.keep_alive() && status != 101;
    out.response.body = std::move(res.body());
    if (!keep)
        conn.close();
    return out;
}

// Reads one final response, skipping 1xx interim ones, each read bounded by
// read_timeout and the whole by the deadline and wire_limit().
template <class Stream>
asio::awaitable<ExchangeResult> read_step(Stream& stream, Connection& conn, const std::string& peer,
                                          const ClientConfig& config, Clock::time_point deadline, bool reused,
                                          const Interrupt& interrupt)
{
    ExchangeResult out;
    const auto started = Clock::now();
    const std::size_t limit = wire_limit(config.max_response_bytes);
    std::size_t received = 0;
    for (unsigned interim = 0;; ++interim) {
        // The body in pages of its own (util/page_allocator.hpp).
        using Body = bhttp::basic_string_body<char, std::char_traits<char>, util::PageAllocator<char>>;
        auto parser = std::make_unique<bhttp::response_parser<Body>>();
        parser->body_limit(config.max_response_bytes);
        parser->header_limit(static_cast<std::uint32_t>(kHeaderLimit));
        while (!parser->is_done()) {
            beast::get_lowest_layer(stream).expires_at(sooner(Clock::now() + config.read_timeout, deadline));
            auto ec_result = co_await bhttp::async_read_some(stream, conn.buffer, *parser, kAwait);
            const error_code ec = std::get<0>(ec_result);
            const auto n = std::get<1>(ec_result);
            received += n;
            if (!ec && !interrupt.requested && received > limit)
                co_return ExchangeResult{
                    false, {},
                    fail(FWM_ERR_RESPONSE_TOO_LARGE,
                         "reading the response from " + peer + ": more than " + std::to_string(limit) +
                             " bytes on the wire (chunk framing, extensions or trailers past max_response_bytes): "
                             "the endpoint is misbehaving, or raise max_response_bytes",
                         false)};
            if (ec || interrupt.requested) {
                out.failure = network_failure(std::string(parser->is_header_done() ? "reading the response body from "
                                                                                   : "waiting for the response from ") +
                                                  peer,
                                              ec, Clock::now() - started, interrupt);
                if (reused && received == 0 && closed_by_peer(ec))
                    out.failure.status = kStale;
                co_return out;
            }
        }
        const unsigned status = parser->get().result_int();
        if (status >= 100 && status < 200 && status != 101) {
            // 100 Continue, 103 Early Hints: the real answer follows on the
            // same connection; reading on keeps it in step with the requests.
            if (interim + 1 >= kMaxInterimResponses)
                co_return ExchangeResult{false, {},
                                         fail(FWM_ERR_PROTOCOL,
                                              "more than " + std::to_string(kMaxInterimResponses) +
                                                  " interim (1xx) responses from " + peer + ": the endpoint is misbehaving",
                                              false)};
            continue;
        }
        beast::get_lowest_layer(stream).expires_never();
        co_return final_response(*parser, conn, interim, received, reused);
    }
}

template <class Stream>
asio::awaitable<ExchangeResult> request_response(Stream& stream, Connection& conn, const Url& url,
                                                 const ClientConfig& config, const Url* plain_proxy,
                                                 Clock::time_point deadline, bool reused, const Interrupt& interrupt,
                                                 const std::string& post_json)
{
    const std::string peer = url.authority();
    const auto req = make_request(url, config, plain_proxy, post_json);
    Failure f = co_await write_step(stream, req, peer, config, deadline, reused, interrupt);
    if (f.status != 0)
        co_return ExchangeResult{false, {}, std::move(f)};
    co_return co_await read_step(stream, conn, peer, config, deadline, reused, interrupt);
}

// A fresh connection to `url`: resolve, connect, maybe tunnel, maybe TLS.
asio::awaitable<Failure> open_connection(Connection& conn, const Url& url, const ClientConfig& config,
                                         asio::ssl::context& tls_ctx, std::shared_ptr<Runtime> runtime,
                                         Clock::time_point deadline, Interrupt& interrupt)
{
    const Url* proxy = config.proxy.for_target(url);
    const auto connect_deadline = sooner(Clock::now() + config.connect_timeout, deadline);
    const Url& hop = proxy ? *proxy : url;
    const std::string peer = proxy ? "proxy " + hop.authority() : hop.authority();
    Failure f = co_await connect_step(conn, hop, peer, runtime, connect_deadline, interrupt);
    if (f.status != 0)
        co_return f;
    if (!url.https())
        co_return Failure{};
    if (proxy) {
        f = co_await tunnel_step(*conn.plain, *proxy, url, connect_deadline, interrupt);
        if (f.status != 0)
            co_return f;
    }
    co_return co_await handshake_step(conn, url, config, tls_ctx, connect_deadline, interrupt);
}

} // namespace

std::size_t wire_limit(std::size_t max_response_bytes)
{
    return max_response_bytes + std::max<std::size_t>(max_response_bytes / 4, 1u << 20);
}

bool Connection::open() const
{
    if (tls)
        return beast::get_lowest_layer(*tls).socket().is_open();
    if (plain)
        return plain->socket().is_open();
    return false;
}

bool Connection::has_unread() const
{
    error_code ec;
    if (tls) {
        if (SSL_pending(const_cast<TlsStream&>(*tls).native_handle()) > 0)
            return true;
        const std::size_t n = beast::get_lowest_layer(*tls).socket().available(ec);
        return ec || n > 0;
    }
    if (plain) {
        const std::size_t n = plain->socket().available(ec);
        return ec || n > 0;
    }
    return false;
}

void Connection::close()
{
    error_code ignored;
    if (tls)
        beast::get_lowest_layer(*tls).socket().close(ignored);
    if (plain)
        plain->socket().close(ignored);
    tls.reset();
    plain.reset();
    buffer.clear();
    origin.clear();
}

void Interrupt::fire()
{
    requested = true;
    if (connection) {
        // Closing the socket ends whatever operation is pending on it.
        error_code ignored;
        if (connection->tls)
            beast::get_lowest_layer(*connection->tls).socket().close(ignored);
        if (connection->plain)
            connection->plain->socket().close(ignored);
    }
    if (timer)
        timer->cancel();
}

asio::awaitable<ExchangeResult> exchange(Connection& conn, const Url& url, const ClientConfig& config,
                                         asio::ssl::context& tls_ctx, std::shared_ptr<Runtime> runtime,
                                         Clock::time_point deadline, Interrupt& interrupt, const std::string& post_json)
{
    const std::string origin = url.scheme + "://" + url.authority();
    const Url* proxy = config.proxy.for_target(url);
    const Url* plain_proxy = url.https() ? nullptr : proxy;
    interrupt.connection = &conn;
    struct Release {
        Interrupt& interrupt;
        ~Release() { interrupt.connection = nullptr; }
    } release{interrupt};

    for (int round = 0; round < 2; ++round) {
        if (interrupt.requested)
            co_return ExchangeResult{false, {}, cancelled()};
        // Bytes left over from an earlier answer would be read as this one's.
        const bool reused = conn.open() && conn.origin == origin && conn.buffer.size() == 0 && !conn.has_unread();
        if (!reused) {
            conn.close();
            Failure f = co_await open_connection(conn, url, config, tls_ctx, runtime, deadline, interrupt);
            if (f.status != 0) {
                conn.close();
                co_return ExchangeResult{false, {}, std::move(f)};
            }
            conn.origin = origin;
        }

        // Plain if/else: GCC 12 miscompiles co_await inside a conditional
        // expression, and structured bindings of co_await results.
        ExchangeResult r;
        if (conn.tls)
            r = co_await request_response(*conn.tls, conn, url, config, nullptr, deadline, reused, interrupt,
                                          post_json);
        else
            r = co_await request_response(*conn.plain, conn, url, config, plain_proxy, deadline, reused, interrupt,
                                          post_json);
        if (!r.ok) {
            conn.close();
            if (r.failure.status == kStale && round == 0)
                continue; // the server had closed the kept-alive connection: once more, fresh
            if (r.failure.status == kStale)
                r.failure.status = FWM_ERR_NETWORK;
        }
        co_return r;
    }
    co_return ExchangeResult{false, {}, fail(FWM_ERR_INTERNAL, "exchange: unreachable", false)};
}

} // namespace fwm::http
