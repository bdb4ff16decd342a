// The OpenSSL client context of a handle, built once from its TlsConfig.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "http/config.hpp"

namespace fwm::http {

// Throws util::OptionError naming the tls_* option a file failed to load from.
boost::asio::ssl::context make_tls_context(const TlsConfig& tls);

// The same, shared by every handle with the same settings and files.
std::shared_ptr<boost::asio::ssl::context> shared_tls_context(const TlsConfig& tls);

// Why the last handshake on `ssl` failed verification, or "" when it did not.
std::string verify_failure(SSL* ssl);

// SNI and host name (or IP) verification for one connection.
bool prepare_tls_connection(SSL* ssl, const std::string& host, const TlsConfig& tls);

} // namespace fwm::http
