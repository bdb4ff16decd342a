#include "http/tls_context.hpp"

#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>

#include "util/option_error.hpp"
#include "util/platform.hpp"

namespace fwm::http {
namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_error()
{
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0)
        return "unknown error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

bool is_ip(const std::string& host)
{
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

// OpenSSL takes global locks while it loads certificates and keys; a fork()
// meanwhile would leave them held in the child. Contexts are built under
// this lock (rarely: one per handle), and the fork handlers hold it across
// the fork. A plain mutex, because the child's thread has a new id: glibc
// would not let it release a rwlock its parent thread wrote-locked.
std::mutex& setup_lock()
{
    static std::mutex& m = *new std::mutex();
    return m;
}

void lock_tls_for_fork()
{
    setup_lock().lock();
}

void unlock_tls_after_fork()
{
    setup_lock().unlock();
}

// Never ask for a pass phrase: OpenSSL's default would prompt on the
// Agent's terminal and wait. An encrypted key then fails to load.
int no_pass_phrase(char*, int, int, void*)
{
    return 0;
}

} // namespace

// The setup lock, with its fork handlers registered.
static std::mutex& fork_safe_setup_lock()
{
    static const int registered = util::at_fork(lock_tls_for_fork, unlock_tls_after_fork, unlock_tls_after_fork);
    (void)registered;
    return setup_lock();
}

ssl::context make_tls_context(const TlsConfig& tls)
{
    std::lock_guard guard(fork_safe_setup_lock());
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_default_passwd_cb(ctx.native_handle(), no_pass_phrase);
    ctx.set_verify_mode(tls.verify ? ssl::verify_peer : ssl::verify_none);
    if (tls.verify) {
        if (!tls.ca_cert.empty()) {
            if (SSL_CTX_load_verify_locations(ctx.native_handle(), tls.ca_cert.c_str(), nullptr) != 1)
                throw util::OptionError("option 'tls_ca_cert': cannot load " + tls.ca_cert + ": " + openssl_error());
        } else if (SSL_CTX_set_default_verify_paths(ctx.native_handle()) != 1) {
            throw util::OptionError("the system CA store cannot be loaded (" + openssl_error() +
                                   "): set tls_ca_cert");
        }
    }
    if (!tls.cert.empty()) {
        if (SSL_CTX_use_certificate_chain_file(ctx.native_handle(), tls.cert.c_str()) != 1)
            throw util::OptionError("option 'tls_cert': cannot load " + tls.cert + ": " + openssl_error());
        const std::string& key = tls.private_key.empty() ? tls.cert : tls.private_key;
        if (SSL_CTX_use_PrivateKey_file(ctx.native_handle(), key.c_str(), SSL_FILETYPE_PEM) != 1)
            throw util::OptionError(std::string("option '") + (tls.private_key.empty() ? "tls_cert" : "tls_private_key") +
                                   "': cannot load the private key from " + key + ": " + openssl_error() +
                                   " (an encrypted key is not supported: decrypt it with `openssl pkey`)");
        if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
            throw util::OptionError("option 'tls_private_key' does not match tls_cert");
    }
    return ctx;
}

namespace {

// What makes two handles' contexts the same: their settings and what their
// files hold now (a SHA-256 of each), so a renewed certificate gets a new
// context however it was copied in (cp -p and rsync -t keep size and time).
// Read, not stat()ed: glibc 2.17's stat() wrappers put errno in static TLS,
// which a library loaded by dlopen() cannot have.
std::string file_identity(const std::string& path)
{
    if (path.empty())
        return "-";
    constexpr std::size_t kMaxBytes = 64u << 20; // far past any CA bundle or key
    std::ifstream in = util::open_for_reading(path, std::ios::binary);
    std::string content;
    char buffer[65536];
    while (in && content.size() <= kMaxBytes) {
        in.read(buffer, sizeof buffer);
        content.append(buffer, static_cast<std::size_t>(in.gcount()));
    }
    if (!in.eof() || content.size() > kMaxBytes)
        return path + "|?"; // unreadable: loading it fails and says so
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(content.data(), content.size(), digest, &size, EVP_sha256(), nullptr) != 1)
        return path + "|?";
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = path + "|";
    for (unsigned i = 0; i < size; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 15];
    }
    return out;
}

} // namespace

std::shared_ptr<ssl::context> shared_tls_context(const TlsConfig& tls)
{
    // Loading the system CA store costs about half a megabyte per context:
    // handles with the same settings share one (an SSL_CTX serves many
    // connections on many threads).
    // Under the setup lock, which fork() handlers hold: a child finds the map consistent.
    std::mutex& mutex = fork_safe_setup_lock();
    static auto& contexts = *new std::map<std::string, std::weak_ptr<ssl::context>>();
    const std::string key = std::string(tls.verify ? "v" : "n") + (tls.validate_hostname ? "h|" : "-|") +
                            file_identity(tls.ca_cert) + "\n" + file_identity(tls.cert) + "\n" +
                            file_identity(tls.private_key);
    {
        std::lock_guard lock(mutex);
        std::erase_if(contexts, [](const auto& entry) { return entry.second.expired(); });
        if (auto found = contexts[key].lock())
            return found;
    }
    auto made = std::make_shared<ssl::context>(make_tls_context(tls)); // outside the lock: it reads files
    std::lock_guard lock(mutex);
    if (auto found = contexts[key].lock()) // another thread made one meanwhile
        return found;
    contexts[key] = made;
    return made;
}

bool prepare_tls_connection(SSL* ssl, const std::string& host, const TlsConfig& tls)
{
    const bool ip = is_ip(host);
    if (!ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) // SNI is for names only
        return false;
    if (tls.verify && tls.validate_hostname) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        if (ip)
            return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
    }
    return true;
}

std::string verify_failure(SSL* ssl)
{
    const long result = SSL_get_verify_result(ssl);
    if (result == X509_V_OK)
        return {};
    return X509_verify_cert_error_string(result);
}

} // namespace fwm::http
