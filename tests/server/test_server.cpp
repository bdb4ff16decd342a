#include "test_server.hpp"

#include <zlib.h>

#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace fwm::test {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

namespace {

const char* reason(unsigned status)
{
    switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

std::string head(const Reply& r, std::size_t content_length, const std::string& encoding)
{
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + (r.reason.empty() ? reason(r.status) : r.reason) +
                      "\r\n";
    for (const auto& [k, v] : r.headers)
        out += k + ": " + v + "\r\n";
    if (!encoding.empty())
        out += "Content-Encoding: " + encoding + "\r\n";
    if (r.chunked || r.mode == Reply::Mode::truncated_chunked)
        out += "Transfer-Encoding: chunked\r\n";
    else
        out += "Content-Length: " + std::to_string(content_length) + "\r\n";
    out += r.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    out += "\r\n";
    return out;
}

std::string chunk(std::string_view data)
{
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + std::string(data) + "\r\n";
}

} // namespace

std::string gzip_compress(std::string_view data)
{
    z_stream z{};
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2");
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    deflateEnd(&z);
    if (rc != Z_STREAM_END)
        throw std::runtime_error("deflate");
    out.resize(z.total_out);
    return out;
}

std::string fireworks_payload(unsigned deployments)
{
    static const char* kHist[] = {"latency_overall_ms_bucket", "latency_to_first_token_ms_bucket"};
    static const char* kLe[] = {"10", "100", "1000", "+Inf"};
    std::string out;
    for (unsigned d = 0; d < deployments; ++d) {
        const std::string id = "dep" + std::to_string(d);
        const std::string labels = "base_model=\"accounts/fireworks/models/deepseek-v3\",deployment=\"accounts/acme/deployments/" +
                                   id + "\",deployment_account=\"acme\",deployment_id=\"" + id + "\"";
        out += "request_counter_total:sum_by_deployment{" + labels + "} " + std::to_string(1.5 + d) + "\n";
        out += "requests_error_total:sum_by_deployment{" + labels + ",http_code=\"500\"} 0.01\n";
        for (const char* h : kHist)
            for (unsigned i = 0; i < 4; ++i)
                out += std::string(h) + ":sum_by_deployment{" + labels + ",le=\"" + kLe[i] + "\"} " +
                       std::to_string(0.25 * (i + 1)) + "\n";
        out += "generator_kv_blocks_fraction:avg_by_deployment{" + labels + "} 0.5\n";
    }
    return out;
}

Reply metrics_reply(unsigned deployments)
{
    Reply r;
    r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    r.body = fireworks_payload(deployments);
    return r;
}

struct TestServer::Impl {
    Options options;
    asio::io_context io{1};
    asio::ssl::context tls{asio::ssl::context::tls_server};
    tcp::acceptor acceptor{io};
    std::thread thread;
    mutable std::mutex mutex;
    Handler handler;
    std::vector<RequestRecord> log;
    std::size_t accepted = 0;
    unsigned short port = 0;

    Reply handle(RequestRecord& rec)
    {
        Handler h;
        std::size_t index;
        {
            std::lock_guard lock(mutex);
            index = log.size();
            log.push_back(rec);
            h = handler;
        }
        return h ? h(rec, index) : metrics_reply();
    }

    template <class Stream>
    asio::awaitable<void> session(Stream& stream, std::size_t connection)
    {
        boost::beast::flat_buffer buffer;
        for (;;) {
            bhttp::request<bhttp::string_body> req;
            auto ec_result = co_await bhttp::async_read(stream, buffer, req, kAwait);
            auto ec = std::move(std::get<0>(ec_result));
            auto n = std::move(std::get<1>(ec_result));
            (void)n;
            if (ec)
                co_return;
            RequestRecord rec;
            rec.at = std::chrono::steady_clock::now();
            rec.method = std::string(req.method_string());
            rec.target = std::string(req.target());
            rec.host = std::string(req[bhttp::field::host]);
            rec.authorization = std::string(req[bhttp::field::authorization]);
            rec.proxy_authorization = std::string(req[bhttp::field::proxy_authorization]);
            rec.user_agent = std::string(req[bhttp::field::user_agent]);
            rec.accept = std::string(req[bhttp::field::accept]);
            rec.accept_encoding = std::string(req[bhttp::field::accept_encoding]);
            rec.content_type = std::string(req[bhttp::field::content_type]);
            rec.body = std::move(req.body());
            rec.connection = connection;
            const Reply r = handle(rec);
            if (r.delay.count() > 0) { // without blocking the other connections
                asio::steady_timer wait(io);
                wait.expires_after(r.delay);
                co_await wait.async_wait(kAwait);
            }

            const std::string body = r.gzip ? gzip_compress(r.body) : r.body;
            const std::string h = head(r, body.size(), r.gzip ? "gzip" : "");
            std::string bytes;
            switch (r.mode) {
            case Reply::Mode::normal:
                bytes = h + (r.chunked ? chunk(body.substr(0, body.size() / 2)) + chunk(body.substr(body.size() / 2)) +
                                             "0\r\n\r\n"
                                       : body);
                break;
            case Reply::Mode::close_mid_body:
                co_await asio::async_write(stream, asio::buffer(h + body.substr(0, body.size() / 2)), kAwait);
                co_return; // the socket closes with the session
            case Reply::Mode::truncated_chunked:
                co_await asio::async_write(stream, asio::buffer(h + chunk(body.substr(0, body.size() / 2))), kAwait);
                co_return;
            case Reply::Mode::raw:
                bytes = r.body;
                break;
            case Reply::Mode::flood: {
                // A piece at a time, until the client hangs up or the flood ends.
                auto wec_result = co_await asio::async_write(stream, asio::buffer(r.body), kAwait);
                if (std::get<0>(wec_result))
                    co_return;
                for (std::size_t sent = 0; sent < r.flood_bytes; sent += r.flood_piece.size()) {
                    auto fec_result = co_await asio::async_write(stream, asio::buffer(r.flood_piece), kAwait);
                    if (std::get<0>(fec_result))
                        co_return;
                }
                co_return;
            }
            case Reply::Mode::garbage:
                co_await asio::async_write(stream, asio::buffer(std::string("SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n\r\n")),
                                           kAwait);
                co_return;
            case Reply::Mode::never: {
                // Hold the connection until the client gives up.
                char sink[512];
                for (;;) {
                    auto rec_ec_result = co_await stream.async_read_some(asio::buffer(sink), kAwait);
                    auto rec_ec = std::move(std::get<0>(rec_ec_result));
                    auto got = std::move(std::get<1>(rec_ec_result));
                    (void)got;
                    if (rec_ec)
                        co_return;
                }
            }
            case Reply::Mode::drip: {
                const std::string all = h + body;
                asio::steady_timer timer(io);
                for (char c : all) {
                    auto wec_result = co_await asio::async_write(stream, asio::buffer(&c, 1), kAwait);
                    auto wec = std::move(std::get<0>(wec_result));
                    auto w = std::move(std::get<1>(wec_result));
                    (void)w;
                    if (wec)
                        co_return;
                    timer.expires_after(r.drip_interval);
                    co_await timer.async_wait(kAwait);
                }
                co_return;
            }
            }
            auto wec_result = co_await asio::async_write(stream, asio::buffer(bytes), kAwait);
            auto wec = std::move(std::get<0>(wec_result));
            auto w = std::move(std::get<1>(wec_result));
            (void)w;
            if (wec || !r.keep_alive || r.close_after)
                co_return;
            if (!r.late.empty()) {
                asio::steady_timer wait(io);
                wait.expires_after(r.late_delay);
                co_await wait.async_wait(kAwait);
                co_await asio::async_write(stream, asio::buffer(r.late), kAwait);
            }
        }
    }

    asio::awaitable<void> serve(tcp::socket socket, std::size_t connection)
    {
        if (!options.tls) {
            co_await session(socket, connection);
            co_return;
        }
        asio::ssl::stream<tcp::socket> stream(std::move(socket), tls);
        auto ec_result = co_await stream.async_handshake(asio::ssl::stream_base::server, kAwait);
        auto ec = std::move(std::get<0>(ec_result));
        if (ec)
            co_return;
        co_await session(stream, connection);
    }

    asio::awaitable<void> accept_loop()
    {
        for (;;) {
            auto ec_result = co_await acceptor.async_accept(kAwait);
            auto ec = std::move(std::get<0>(ec_result));
            auto socket = std::move(std::get<1>(ec_result));
            if (ec)
                co_return;
            // Small answers go out at once, as from a real server (no Nagle delay).
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            std::size_t id;
            {
                std::lock_guard lock(mutex);
                id = ++accepted;
            }
            asio::co_spawn(io, serve(std::move(socket), id), asio::detached);
        }
    }
};

TestServer::TestServer(Options options, Handler handler)
    : impl_(std::make_unique<Impl>())
{
    impl_->options = std::move(options);
    impl_->handler = std::move(handler);
    if (impl_->options.tls) {
        impl_->tls.use_certificate_chain_file(impl_->options.cert.cert);
        impl_->tls.use_private_key_file(impl_->options.cert.key, asio::ssl::context::pem);
        if (!impl_->options.client_ca.empty()) {
            impl_->tls.load_verify_file(impl_->options.client_ca);
            impl_->tls.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
        }
    }
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    impl_->port = impl_->acceptor.local_endpoint().port();
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

TestServer::~TestServer()
{
    impl_->io.stop();
    impl_->thread.join();
}

unsigned short TestServer::port() const
{
    return impl_->port;
}

std::string TestServer::url(std::string_view path, std::string_view host) const
{
    return std::string(impl_->options.tls ? "https://" : "http://") + std::string(host) + ":" + std::to_string(port()) +
           std::string(path);
}

void TestServer::set_handler(Handler handler)
{
    std::lock_guard lock(impl_->mutex);
    impl_->handler = std::move(handler);
}

std::vector<RequestRecord> TestServer::requests() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->log;
}

std::size_t TestServer::connections() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->accepted;
}

} // namespace fwm::test
