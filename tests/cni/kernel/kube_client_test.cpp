// The API client against the stub API server, both inside a throwaway network namespace.
#include <gtest/gtest.h>

#include "cni/kube_client.h"
#include "cni/kubeconfig.h"
#include "kube_fixtures.h"
#include "support/child.h"
#include "sys/netns.h"

namespace kt::cni::test {
namespace {

// "ok" or "kind=<n> <message>": what a getPod call ended with, as text from the child.
std::string describe(const Result<std::string>& r) {
  if (r) return "ok " + *r;
  return "kind=" + std::to_string(static_cast<int>(r.error().kind())) + " " + r.error().message();
}

using nlohmann::json;

constexpr char kToken[] = "kt-test-token-5f2c9a";

class KubeClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root: creates a network namespace";
    tmp_ = std::make_unique<TempDir>("api");
    pki_ = std::make_unique<Pki>(*tmp_);
    ASSERT_TRUE(pki_->ok) << "openssl could not generate the test PKI";
    ns_ = newNetns("api");
    ASSERT_TRUE(ns_);
    auto guard = sys::NetnsGuard::enter(ns_->path());
    ASSERT_TRUE(guard.ok()) << guard.error().message();
    guard_ = std::move(*guard);
  }
  void TearDown() override {
    guard_.reset();  // back to the original namespace before it is deleted
    stub_.reset();
    ns_.reset();
    pki_.reset();
    tmp_.reset();
  }

  ApiStub& stub(const std::string& token = kToken, bool clientCert = false) {
    stub_ = std::make_unique<ApiStub>(*tmp_, *pki_, *ns_, token, clientCert);
    EXPECT_TRUE(stub_->ok()) << slurp(*tmp_ / "api-stub.err");
    return *stub_;
  }

  Result<KubeClient> client(const std::string& token = kToken, const std::string& ca = "",
                            const std::string& serverName = "") {
    KubeConfig kc;
    kc.server = stub_->url();
    kc.caPem = slurp(ca.empty() ? pki_->caCert : ca);
    kc.token = Secret(token);
    kc.tlsServerName = serverName;
    auto c = KubeClient::make(kc);
    if (c) c->setSleeper([](std::chrono::milliseconds) {});
    return c;
  }

  RetryPolicy fast(uint32_t attempts = 3) {
    return {attempts, std::chrono::milliseconds(0), std::chrono::milliseconds(5000)};
  }

  std::unique_ptr<TempDir> tmp_;
  std::unique_ptr<Pki> pki_;
  std::unique_ptr<Netns> ns_;
  std::unique_ptr<sys::NetnsGuard> guard_;
  std::unique_ptr<ApiStub> stub_;
};

TEST_F(KubeClientTest, ReadsAPod) {
  auto& api = stub();
  api.addPod(makePod("shop", "web-0", true));
  auto c = client();
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto body = c->getPod("shop", "web-0", fast());
  ASSERT_TRUE(body.ok()) << body.error().message();
  EXPECT_NE(body->find("kuma-sidecar"), std::string::npos);
  auto reqs = api.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["path"], "/api/v1/namespaces/shop/pods/web-0");
  EXPECT_EQ(reqs[0]["token_ok"], true);
}

TEST_F(KubeClientTest, RetriesServerErrorsThenSucceeds) {
  auto& api = stub();
  api.addPod(makePod("shop", "flaky", true));
  api.setBehaviour("shop", "flaky", {{"fail_first", 2}, {"fail_status", 503}});
  auto body = client()->getPod("shop", "flaky", fast(5));
  ASSERT_TRUE(body.ok()) << body.error().message();
  EXPECT_EQ(api.requests().size(), 3u);
}

TEST_F(KubeClientTest, GivesUpAfterTheAttempts) {
  auto& api = stub();
  api.setBehaviour("shop", "down", {{"status", 500}});
  auto body = client()->getPod("shop", "down", fast(3));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(body.error().message().find("3 attempts"), std::string::npos);
  EXPECT_EQ(api.requests().size(), 3u);
}

TEST_F(KubeClientTest, DoesNotRetryClientErrors) {
  auto& api = stub();
  auto missing = client()->getPod("shop", "nope", fast(5));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(api.requests().size(), 1u);

  auto denied = client("wrong-token")->getPod("shop", "nope", fast(5));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind(), ErrorKind::kPermission);
  EXPECT_FALSE(denied.error().hint().empty());
  EXPECT_EQ(api.requests().size(), 2u);
  EXPECT_EQ(denied.error().message().find("wrong-token"), std::string::npos);
}

TEST_F(KubeClientTest, TimesOutOnASlowServer) {
  auto& api = stub();
  api.addPod(makePod("shop", "slow", true));
  api.setBehaviour("shop", "slow", {{"delay_ms", 3000}});
  RetryPolicy p{1, std::chrono::milliseconds(0), std::chrono::milliseconds(300)};
  auto body = client()->getPod("shop", "slow", p);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(body.error().message().find("timed out"), std::string::npos) << body.error().message();
}

TEST_F(KubeClientTest, ConnectionRefusedIsRetriedAndTransient) {
  auto& api = stub();
  KubeConfig kc;
  kc.server = "https://127.0.0.1:1";  // nothing listens on port 1 in this namespace
  kc.caPem = slurp(pki_->caCert);
  auto c = KubeClient::make(kc);
  ASSERT_TRUE(c.ok());
  int sleeps = 0;
  c->setSleeper([&](std::chrono::milliseconds) { ++sleeps; });
  auto body = c->getPod("shop", "web", fast(4));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(sleeps, 3);
  EXPECT_TRUE(api.requests().empty());
}

TEST_F(KubeClientTest, RejectsAServerSignedByAnotherCa) {
  auto& api = stub();
  api.addPod(makePod("shop", "web", true));
  auto body = client(kToken, pki_->otherCaCert)->getPod("shop", "web", fast(5));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().kind(), ErrorKind::kConfig);
  EXPECT_NE(body.error().message().find("certificate verification failed"), std::string::npos)
      << body.error().message();
  EXPECT_TRUE(api.requests().empty()) << "no request (and no token) sent to an unverified peer";
}

TEST_F(KubeClientTest, RejectsACertificateForAnotherName) {
  auto& api = stub();
  api.addPod(makePod("shop", "web", true));
  auto body = client(kToken, "", "kubernetes.default.svc")->getPod("shop", "web", fast(5));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().kind(), ErrorKind::kConfig);
  EXPECT_TRUE(api.requests().empty());
  // The name the certificate does carry is accepted.
  auto ok = client(kToken, "", "localhost")->getPod("shop", "web", fast(1));
  EXPECT_TRUE(ok.ok()) << ok.error().message();
}

TEST_F(KubeClientTest, ClientCertificateAuthentication) {
  auto& api = stub("", true);
  api.addPod(makePod("shop", "web", true));
  // Without a certificate the handshake fails.
  auto anonymous = client("")->getPod("shop", "web", fast(1));
  EXPECT_FALSE(anonymous.ok());
  // With the kubeconfig's client certificate and key it works.
  spit(*tmp_ / "kubeconfig",
       kubeconfigText(api.url(), pki_->caCert, "", pki_->clientCert, pki_->clientKey));
  auto kc = loadKubeConfig(*tmp_ / "kubeconfig");
  ASSERT_TRUE(kc.ok()) << kc.error().message();
  auto c = KubeClient::make(*kc);
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto body = c->getPod("shop", "web", fast(1));
  EXPECT_TRUE(body.ok()) << body.error().message();
}

TEST_F(KubeClientTest, TokenFileIsReadForEveryRequest) {
  auto& api = stub();
  api.addPod(makePod("shop", "web", true));
  spit(*tmp_ / "token", std::string(kToken) + "\n");
  KubeConfig kc;
  kc.server = api.url();
  kc.caPem = slurp(pki_->caCert);
  kc.tokenFile = *tmp_ / "token";
  auto c = KubeClient::make(kc);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->getPod("shop", "web", fast(1)).ok());
  spit(*tmp_ / "token", "rotated-away");
  EXPECT_EQ(c->getPod("shop", "web", fast(1)).error().kind(), ErrorKind::kPermission);
}

TEST_F(KubeClientTest, RefusesInvalidNames) {
  stub();
  auto body = client()->getPod("shop", "../../secrets", fast(1));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().kind(), ErrorKind::kConfig);
  EXPECT_TRUE(stub_->requests().empty());
}

// A server that never finishes its answer: an endless chunk stream written as fast as the client
// reads (data is always waiting, so a deadline checked only while the socket is idle never
// fires) and a byte trickle under a large Content-Length. The request's deadline ends both.
TEST_F(KubeClientTest, ServerThatKeepsSendingIsTimedOut) {
  auto& api = stub();
  auto c = client();
  ASSERT_TRUE(c.ok());
  RetryPolicy once{1, std::chrono::milliseconds(0), std::chrono::milliseconds(1000)};
  for (const char* kind : {"chunks", "trickle"}) {
    SCOPED_TRACE(kind);
    api.addPod(makePod("shop", kind, true));
    api.setBehaviour("shop", kind, {{"stream", kind}});
    auto outcome = testing::runInChild([&] { return describe(c->getPod("shop", kind, once)); },
                                       std::chrono::seconds(30));
    ASSERT_TRUE(outcome.ok()) << "the request never ended: " << outcome.error().message();
    EXPECT_EQ(outcome->rfind("kind=" + std::to_string(static_cast<int>(ErrorKind::kTransient)), 0),
              0u)
        << *outcome;
    EXPECT_NE(outcome->find("timed out reading the response"), std::string::npos) << *outcome;
  }
}

TEST_F(KubeClientTest, LargeChunkedAnswerDecodes) {
  auto& api = stub();
  // A pod of a few MiB sent in 1000-byte chunks.
  json pod = makePod("shop", "big", true, {{"example.com/padding", std::string(3 << 20, 'p')}});
  api.addPod(pod);
  api.setBehaviour("shop", "big", {{"chunk_size", 1000}});
  auto body = client()->getPod("shop", "big", fast(1));
  ASSERT_TRUE(body.ok()) << body.error().message();
  EXPECT_EQ(json::parse(*body), pod);
}

// A server that accepts and never answers: all attempts together end at the caller's deadline,
// not after attempts x timeout.
TEST_F(KubeClientTest, TotalDeadlineEndsTheRetries) {
  auto& api = stub();
  api.addPod(makePod("shop", "silent", true));
  api.setBehaviour("shop", "silent", {{"delay_ms", 600000}});
  auto c = client();
  ASSERT_TRUE(c.ok());
  auto outcome = testing::runInChild(
      [&] {
        RetryPolicy p{30, std::chrono::milliseconds(0), std::chrono::milliseconds(1000)};
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
        return describe(c->getPod("shop", "silent", p, deadline));
      },
      std::chrono::seconds(25));
  ASSERT_TRUE(outcome.ok()) << "the retries did not end: " << outcome.error().message();
  EXPECT_EQ(outcome->rfind("kind=" + std::to_string(static_cast<int>(ErrorKind::kTransient)), 0),
            0u)
      << *outcome;
  EXPECT_NE(outcome->find("the deadline of this request passed"), std::string::npos) << *outcome;
}

}  // namespace
}  // namespace kt::cni::test
