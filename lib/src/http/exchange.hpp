// One HTTP GET over a kept-alive connection: connect (directly or through a
// proxy's CONNECT tunnel), TLS, request, response. Runs on the I/O thread
// as a coroutine; every step has a deadline; failures name the step.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/account_registry.hpp"
#include "http/config.hpp"

namespace fwm::http {

// The connection a handle keeps between collections.
struct Connection {
    std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
    std::unique_ptr<boost::beast::tcp_stream> plain;
    boost::beast::flat_buffer buffer;
    std::string origin; // scheme://host:port it reaches

    bool open() const;
    void close();
};

struct Response {
    unsigned status = 0;
    std::string body;             // as on the wire (maybe gzip)
    std::string content_type;
    std::string content_encoding;
    std::string location;
    std::string retry_after;
    std::size_t wire_bytes = 0;
    bool reused_connection = false;
};

struct Failure {
    int status = 0;          // an fwm_status
    std::string message;     // says what failed and what to do; never the key
    bool retryable = false;  // network trouble worth another attempt
};

struct ExchangeResult {
    bool ok = false;
    Response response;
    Failure failure;
};

// GET `url` with the handle's headers. Never throws; never outlives `deadline`.
boost::asio::awaitable<ExchangeResult> exchange(Connection& conn, const Url& url, const ClientConfig& config,
                                                boost::asio::ssl::context& tls, Clock::time_point deadline);

} // namespace fwm::http
