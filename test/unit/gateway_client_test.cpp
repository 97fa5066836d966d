// The shim's gateway client over HTTPS: against the fake gateway served with a
// certificate made here, it is answered when it trusts that certificate
// (--gateway-ca-file) and refuses to talk when it does not: the secret key and
// the card's payment key never reach a gateway it cannot authenticate.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <httplib.h>

#include "fake_gateway.hpp"
#include "gateway_client.hpp"

namespace {

// A self-signed certificate for 127.0.0.1 (its own authority), and its key.
struct Certificate {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  Certificate() {
    key = EVP_RSA_gen(2048);
    cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    const std::pair<int, const char*> extensions[] = {{NID_subject_alt_name, "IP:127.0.0.1"},
                                                      {NID_basic_constraints, "critical,CA:TRUE"}};
    for (const auto& [nid, value] : extensions) {
      X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert, e, -1);
      X509_EXTENSION_free(e);
    }
    X509_sign(cert, key, EVP_sha256());
  }
  ~Certificate() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  // The certificate as a PEM file, for --gateway-ca-file.
  std::string write_pem(const std::string& path) const {
    FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    return path;
  }
};

class GatewayClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<httplib::SSLServer>(certificate_.cert, certificate_.key);
    ASSERT_TRUE(server_->is_valid());
    gateway::FakeGateway::Options options;
    gateway_ = std::make_unique<gateway::FakeGateway>(options);
    gateway_->install(*server_);
    port_ = gateway::FakeGateway::bind(*server_, "127.0.0.1", 0);
    ASSERT_GT(port_, 0);
    serving_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ca_file_ = certificate_.write_pem(::testing::TempDir() + "gateway-client-test-ca.pem");
  }
  void TearDown() override {
    gateway_->stop_waiting();
    server_->stop();
    serving_.join();
    std::remove(ca_file_.c_str());
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

  Certificate certificate_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::unique_ptr<gateway::FakeGateway> gateway_;
  std::thread serving_;
  int port_ = 0;
  std::string ca_file_;
};

TEST_F(GatewayClientTls, TalksToAGatewayWhoseCertificateItTrusts) {
  shim::GatewayClient client(url() + "/", "test_sk_boxoffice", 2000, ca_file_);
  shim::GatewayAnswer a = client.lookup("BO-no-such-order");
  ASSERT_TRUE(a.answered) << a.error;
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body.value("code", ""), "NOT_FOUND_PAYMENT");
  EXPECT_EQ(shim::verdict_of_lookup(a).kind, shim::GatewayVerdict::Kind::declined);  // it never took a payment for it
}

TEST_F(GatewayClientTls, RefusesAGatewayItCannotAuthenticate) {
  // the system's authorities do not vouch for this certificate
  shim::GatewayClient client(url(), "test_sk_boxoffice", 2000);
  shim::GatewayAnswer a = client.confirm("tpk_x", "BO-x", 1000);
  EXPECT_FALSE(a.answered);
  EXPECT_FALSE(a.error.empty());
  EXPECT_EQ(shim::verdict_of_confirm(a).kind, shim::GatewayVerdict::Kind::unknown);
}

}  // namespace
