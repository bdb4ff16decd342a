// Certificates made when the tests run (OpenSSL's API, EC P-256 keys): a
// test CA and the server certificates the fault tests need.
#pragma once

#include <string>

namespace fwm::test {

struct CertKey {
    std::string cert; // PEM file path
    std::string key;  // PEM file path
};

struct TestPki {
    std::string dir;
    std::string ca_cert;   // the CA clients are told to trust
    CertKey server;        // localhost and 127.0.0.1, valid now
    CertKey expired;       // localhost and 127.0.0.1, expired yesterday
    CertKey wrong_host;    // valid, but for wrong.example only
    CertKey untrusted;     // localhost, signed by a CA nobody trusts
    CertKey client;        // a client certificate from the test CA
};

// Writes everything into a fresh directory under $TMPDIR (or /tmp).
TestPki make_test_pki();

} // namespace fwm::test
