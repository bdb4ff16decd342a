// One HTTP GET over a kept-alive connection, in steps as Beast's client
// examples take them: resolve, connect (directly or through a proxy's
// CONNECT tunnel), TLS handshake, write, read. Runs on the I/O thread as a
// coroutine; every step has its own deadline, never past the collection's;
// failures name the step; cancel() interrupts whichever step is running.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "util/page_allocator.hpp"
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/account_registry.hpp"
#include "http/config.hpp"
#include "http/interrupt.hpp"
#include "http/runtime.hpp"

namespace fwm::http {

// Bytes of one response's header block (and of its trailers).
inline constexpr std::size_t kHeaderLimit = 64 * 1024;
// The receive buffer holds what is not parsed yet: a header block, a chunk
// header with its extensions, or trailers. Bounded, so no framing can grow it.
inline constexpr std::size_t kReceiveBufferLimit = 2 * kHeaderLimit;
// 1xx interim responses (100 Continue, 103 Early Hints) skipped before the real one.
inline constexpr unsigned kMaxInterimResponses = 8;

// The bytes a response may take on the wire: its body may be max_response_bytes,
// and chunk framing, extensions and trailers get a quarter more (at least 1 MiB).
std::size_t wire_limit(std::size_t max_response_bytes);

// The connection a handle keeps between collections.
struct Connection {
    std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
    std::unique_ptr<boost::beast::tcp_stream> plain;
    boost::beast::flat_buffer buffer{kReceiveBufferLimit};
    std::string origin; // scheme://host:port it reaches

    bool open() const;
    void close();
    // Bytes the server sent that no request asked for (a late response, a
    // close_notify): such a connection is not reused, or the next scrape
    // would read them as its answer.
    bool has_unread() const;
};

struct Response {
    unsigned status = 0;
    util::BigString body;         // as on the wire (maybe gzip)
    std::string content_type;     // cleaned: printable, bounded
    std::string content_encoding; // lower case, as sent (compare, do not print raw)
    std::string location;         // raw: checked by resolve_location before any use
    std::string retry_after;
    std::size_t wire_bytes = 0;
    unsigned interim = 0;         // 1xx responses skipped before this one
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

// GET `url` with the handle's headers (POST `post_json` when it is not
// empty). Never throws; never outlives `deadline`; `interrupt` lets
// cancel() stop it between or inside steps.
boost::asio::awaitable<ExchangeResult> exchange(Connection& conn, const Url& url, const ClientConfig& config,
                                                boost::asio::ssl::context& tls, std::shared_ptr<Runtime> runtime,
                                                Clock::time_point deadline, Interrupt& interrupt,
                                                const std::string& post_json);

} // namespace fwm::http
