#include "test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <memory>
#include <stdexcept>

namespace fwm::test {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

Key new_key()
{
    Key k(EVP_EC_gen("P-256"), EVP_PKEY_free);
    if (!k)
        throw std::runtime_error("EVP_EC_gen failed");
    return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext)
        throw std::runtime_error("bad certificate extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// Signs a certificate for `key`; self-signed when issuer is null.
Cert make_cert(EVP_PKEY* key, const char* cn, const char* san, bool ca, X509* issuer, EVP_PKEY* issuer_key,
               long not_before_s, long not_after_s)
{
    static long serial = 1;
    Cert c(X509_new(), X509_free);
    X509_set_version(c.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(c.get()), not_before_s);
    X509_gmtime_adj(X509_getm_notAfter(c.get()), not_after_s);
    X509_set_pubkey(c.get(), key);
    X509_NAME* name = X509_get_subject_name(c.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("fwm tests"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509* signer = issuer ? issuer : c.get();
    X509_set_issuer_name(c.get(), X509_get_subject_name(signer));
    if (ca) {
        add_ext(c.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(c.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_ext(c.get(), signer, NID_subject_key_identifier, "hash");
    } else {
        add_ext(c.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(c.get(), signer, NID_key_usage, "critical,digitalSignature");
        add_ext(c.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
        if (san)
            add_ext(c.get(), signer, NID_subject_alt_name, san);
    }
    add_ext(c.get(), signer, NID_authority_key_identifier, "keyid:always");
    if (X509_sign(c.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0)
        throw std::runtime_error("X509_sign failed");
    return c;
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key)
{
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f)
        throw std::runtime_error("cannot write " + path);
    if (cert)
        PEM_write_X509(f, cert);
    if (key)
        PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
}

CertKey leaf(const std::string& dir, const char* stem, const char* cn, const char* san, X509* ca, EVP_PKEY* ca_key,
             long not_before_s, long not_after_s)
{
    Key k = new_key();
    Cert c = make_cert(k.get(), cn, san, false, ca, ca_key, not_before_s, not_after_s);
    CertKey out{dir + "/" + stem + ".crt", dir + "/" + stem + ".key"};
    write_pem(out.cert, c.get(), nullptr);
    write_pem(out.key, nullptr, k.get());
    return out;
}

} // namespace

// A new folder of our own under the system's temporary folder.
static std::string make_temp_dir(const std::string& prefix)
{
#ifdef _WIN32
    const std::filesystem::path base = std::filesystem::temp_directory_path();
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
        const auto dir = base / (prefix + std::to_string(random()));
        std::error_code ec;
        if (std::filesystem::create_directory(dir, ec))
            return dir.generic_string();
    }
    throw std::runtime_error("no temporary folder could be made");
#else
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
    if (!mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp failed");
    return pattern;
#endif
}

TestPki make_test_pki()
{
    TestPki pki;
    pki.dir = make_temp_dir("fwm-pki-");
    constexpr long kDay = 86400;

    Key ca_key = new_key();
    Cert ca = make_cert(ca_key.get(), "fwm test CA", nullptr, true, nullptr, nullptr, -kDay, 30 * kDay);
    pki.ca_cert = pki.dir + "/ca.crt";
    write_pem(pki.ca_cert, ca.get(), nullptr);

    const char* local = "DNS:localhost,IP:127.0.0.1";
    pki.server = leaf(pki.dir, "server", "localhost", local, ca.get(), ca_key.get(), -kDay, 30 * kDay);
    pki.expired = leaf(pki.dir, "expired", "localhost", local, ca.get(), ca_key.get(), -10 * kDay, -kDay);
    pki.wrong_host = leaf(pki.dir, "wrong-host", "wrong.example", "DNS:wrong.example", ca.get(), ca_key.get(), -kDay,
                          30 * kDay);
    pki.client = leaf(pki.dir, "client", "fwm test client", nullptr, ca.get(), ca_key.get(), -kDay, 30 * kDay);

    Key rogue_key = new_key();
    Cert rogue = make_cert(rogue_key.get(), "untrusted CA", nullptr, true, nullptr, nullptr, -kDay, 30 * kDay);
    pki.untrusted = leaf(pki.dir, "untrusted", "localhost", local, rogue.get(), rogue_key.get(), -kDay, 30 * kDay);
    return pki;
}

} // namespace fwm::test
