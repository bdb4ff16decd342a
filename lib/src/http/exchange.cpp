#include "http/exchange.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>

#include "fwm/fwm.h"
#include "fwm/version.h"
#include "http/tls_context.hpp"

namespace fwm::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr const char* kUserAgent = "datadog-fireworks-check/" FWM_VERSION_STRING " (libfwm)";
constexpr const char* kAccept = "text/plain;version=0.0.4;q=1.0,application/openmetrics-text;version=1.0.0;q=0.5";

std::string base64(std::string_view in)
{
    static constexpr char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                           static_cast<unsigned char>(in[i + 2]);
        out += kTable[v >> 18 & 63];
        out += kTable[v >> 12 & 63];
        out += kTable[v >> 6 & 63];
        out += kTable[v & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size())
            v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += kTable[v >> 18 & 63];
        out += kTable[v >> 12 & 63];
        out += i + 1 < in.size() ? kTable[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

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

bool closed_by_peer(const error_code& ec)
{
    return ec == asio::error::eof || ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated ||
           ec == bhttp::error::partial_message;
}

// Turns an error during `step` (which names the peer, e.g. "waiting for
// the response from host:443") into a message a user can act on.
Failure network_failure(const std::string& step, const error_code& ec, Clock::duration waited)
{
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

Clock::time_point sooner(Clock::time_point a, Clock::time_point b)
{
    return a < b ? a : b;
}

template <class Stream>
asio::awaitable<ExchangeResult> request_response(Stream& stream, Connection& conn, const Url& url,
                                                 const ClientConfig& config, const Url* plain_proxy,
                                                 Clock::time_point deadline, bool reused)
{
    ExchangeResult out;
    const std::string peer = url.authority();
    const auto started = Clock::now();
    auto& lowest = beast::get_lowest_layer(stream);

    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, plain_proxy ? url.redacted() : url.target, 11};
    req.set(bhttp::field::host, url.authority());
    req.set(bhttp::field::authorization, "Bearer " + config.api_key);
    req.set(bhttp::field::user_agent, kUserAgent);
    req.set(bhttp::field::accept, kAccept);
    req.set(bhttp::field::accept_encoding, "gzip");
    if (plain_proxy && plain_proxy->has_credentials())
        req.set(bhttp::field::proxy_authorization, "Basic " + base64(plain_proxy->user + ":" + plain_proxy->password));

    lowest.expires_at(sooner(Clock::now() + config.read_timeout, deadline));
    auto wec_result = co_await bhttp::async_write(stream, req, kAwait);
    auto wec = std::move(std::get<0>(wec_result));
    auto written = std::move(std::get<1>(wec_result));
    (void)written;
    if (wec) {
        out.failure = network_failure("sending the request to " + peer, wec, Clock::now() - started);
        if (reused && closed_by_peer(wec))
            out.failure.status = -1; // stale keep-alive connection: reconnect
        co_return out;
    }

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(config.max_response_bytes);
    parser.header_limit(64 * 1024);
    std::size_t received = 0;
    while (!parser.is_done()) {
        // read_timeout bounds each read, so a server that drips bytes still
        // meets the collection's own deadline.
        lowest.expires_at(sooner(Clock::now() + config.read_timeout, deadline));
        auto ec_result = co_await bhttp::async_read_some(stream, conn.buffer, parser, kAwait);
        auto ec = std::move(std::get<0>(ec_result));
        auto n = std::move(std::get<1>(ec_result));
        received += n;
        if (ec) {
            out.failure = network_failure(std::string(parser.is_header_done() ? "reading the response body from "
                                                                              : "waiting for the response from ") +
                                              peer,
                                          ec, Clock::now() - started);
            if (reused && received == 0 && closed_by_peer(ec))
                out.failure.status = -1;
            co_return out;
        }
    }
    lowest.expires_never();
    auto& res = parser.get();
    out.ok = true;
    out.response.status = res.result_int();
    out.response.content_type = std::string(res[bhttp::field::content_type]);
    out.response.content_encoding = std::string(res[bhttp::field::content_encoding]);
    out.response.location = std::string(res[bhttp::field::location]);
    out.response.retry_after = std::string(res[bhttp::field::retry_after]);
    out.response.wire_bytes = received;
    out.response.reused_connection = reused;
    const bool keep = res.keep_alive();
    out.response.body = std::move(res.body());
    if (!keep)
        conn.close();
    co_return out;
}

// CONNECT host:port through an HTTP proxy; the tunnel then carries TLS.
asio::awaitable<Failure> open_tunnel(beast::tcp_stream& tcp, const Url& proxy, const Url& url,
                                     Clock::time_point connect_deadline)
{
    const std::string where = "proxy " + proxy.authority();
    const std::string target = url.host.find(':') != std::string::npos
                                   ? "[" + url.host + "]:" + std::to_string(url.port)
                                   : url.host + ":" + std::to_string(url.port);
    bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, target, 11};
    req.set(bhttp::field::host, target);
    req.set(bhttp::field::user_agent, kUserAgent);
    if (proxy.has_credentials())
        req.set(bhttp::field::proxy_authorization, "Basic " + base64(proxy.user + ":" + proxy.password));
    const auto started = Clock::now();
    tcp.expires_at(connect_deadline);
    auto wec_result = co_await bhttp::async_write(tcp, req, kAwait);
    auto wec = std::move(std::get<0>(wec_result));
    auto w = std::move(std::get<1>(wec_result));
    (void)w;
    if (wec)
        co_return network_failure("opening a tunnel through " + where, wec, Clock::now() - started);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true); // a CONNECT response has no body
    auto rec_result = co_await bhttp::async_read_header(tcp, buffer, parser, kAwait);
    auto rec = std::move(std::get<0>(rec_result));
    auto r = std::move(std::get<1>(rec_result));
    (void)r;
    if (rec)
        co_return network_failure("opening a tunnel through " + where, rec, Clock::now() - started);
    const unsigned status = parser.get().result_int();
    if (status == 200)
        co_return Failure{};
    // tinyproxy answers a failed Basic auth with 401, others with 407.
    std::string advice = status == 407 || status == 401 ? "check the user and password in the proxy URL"
                                       : "check that the proxy allows CONNECT to " + target;
    co_return fail(FWM_ERR_PROXY,
                   where + " refused the tunnel to " + target + " with HTTP " + std::to_string(status) + " " +
                       std::string(parser.get().reason()) + ": " + advice,
                   false);
}

} // namespace

bool Connection::open() const
{
    if (tls)
        return beast::get_lowest_layer(*tls).socket().is_open();
    if (plain)
        return plain->socket().is_open();
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

asio::awaitable<ExchangeResult> exchange(Connection& conn, const Url& url, const ClientConfig& config,
                                         asio::ssl::context& tls_ctx, Clock::time_point deadline)
{
    const std::string origin = url.scheme + "://" + url.authority();
    const Url* proxy = config.proxy.for_target(url);
    const Url* plain_proxy = url.https() ? nullptr : proxy;

    for (int round = 0; round < 2; ++round) {
        const bool reused = conn.open() && conn.origin == origin;
        if (!reused) {
            conn.close();
            const auto started = Clock::now();
            const auto connect_deadline = sooner(started + config.connect_timeout, deadline);
            const Url& hop = proxy ? *proxy : url;
            const std::string peer = proxy ? "proxy " + hop.authority() : hop.authority();
            auto executor = co_await asio::this_coro::executor;

            tcp::resolver resolver(executor);
            asio::steady_timer guard(executor);
            guard.expires_at(connect_deadline);
            guard.async_wait([&resolver](const error_code& ec) {
                if (!ec)
                    resolver.cancel();
            });
            auto rec_result = co_await resolver.async_resolve(hop.host, std::to_string(hop.port), kAwait);
            auto rec = std::move(std::get<0>(rec_result));
            auto endpoints = std::move(std::get<1>(rec_result));
            guard.cancel();
            if (rec)
                co_return ExchangeResult{false, {}, network_failure("resolving " + peer, rec, Clock::now() - started)};

            auto socket = std::make_unique<beast::tcp_stream>(executor);
            socket->expires_at(connect_deadline);
            auto cec_result = co_await socket->async_connect(endpoints, kAwait);
            auto cec = std::move(std::get<0>(cec_result));
            auto ep = std::move(std::get<1>(cec_result));
            (void)ep;
            if (cec)
                co_return ExchangeResult{false, {}, network_failure("connecting to " + peer, cec, Clock::now() - started)};
            socket->socket().set_option(tcp::no_delay(true));

            if (url.https()) {
                if (proxy) {
                    Failure f = co_await open_tunnel(*socket, *proxy, url, connect_deadline);
                    if (f.status != 0)
                        co_return ExchangeResult{false, {}, std::move(f)};
                }
                auto stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*socket), tls_ctx);
                if (!prepare_tls_connection(stream->native_handle(), url.host, config.tls))
                    co_return ExchangeResult{false, {}, fail(FWM_ERR_TLS, "tls setup for " + url.authority() + " failed", false)};
                beast::get_lowest_layer(*stream).expires_at(connect_deadline);
                auto hec_result = co_await stream->async_handshake(asio::ssl::stream_base::client, kAwait);
                auto hec = std::move(std::get<0>(hec_result));
                if (hec) {
                    const std::string why = verify_failure(stream->native_handle());
                    if (!why.empty())
                        co_return ExchangeResult{
                            false, {},
                            fail(FWM_ERR_TLS,
                                 "tls handshake with " + url.authority() + ": certificate verify failed (" + why +
                                     "): check tls_ca_cert and that openmetrics_endpoint names the certificate's host",
                                 false)};
                    Failure f = network_failure("the tls handshake with " + url.authority(), hec, Clock::now() - started);
                    if (f.status != FWM_ERR_TIMEOUT)
                        f = fail(FWM_ERR_TLS,
                                 "tls handshake with " + url.authority() + " failed (" + hec.message() +
                                     "): check that the endpoint speaks HTTPS, and the tls_* options",
                                 false);
                    co_return ExchangeResult{false, {}, std::move(f)};
                }
                conn.tls = std::move(stream);
            } else {
                conn.plain = std::move(socket);
            }
            conn.origin = origin;
        }

        // Plain if/else: GCC 12 miscompiles co_await inside a conditional
        // expression, and structured bindings of co_await results.
        ExchangeResult r;
        if (conn.tls)
            r = co_await request_response(*conn.tls, conn, url, config, nullptr, deadline, reused);
        else
            r = co_await request_response(*conn.plain, conn, url, config, plain_proxy, deadline, reused);
        if (!r.ok) {
            conn.close();
            if (r.failure.status == -1 && round == 0)
                continue; // the server had closed the kept-alive connection: once more, fresh
            if (r.failure.status == -1)
                r.failure.status = FWM_ERR_NETWORK;
        }
        co_return r;
    }
    co_return ExchangeResult{false, {}, fail(FWM_ERR_INTERNAL, "exchange: unreachable", false)};
}

} // namespace fwm::http
