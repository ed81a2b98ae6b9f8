#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>

#include "cni/base64.h"
#include "cni/kubeconfig.h"
#include "process.h"

namespace kt::cni {
namespace {

TEST(Base64, RoundTripsAndRejects) {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                std::string("\0\xff\x10", 3)}) {
    auto d = base64Decode(base64Encode(s));
    ASSERT_TRUE(d) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64Decode("Zm9v\nYmE=\n"), "fooba");
  for (const char* bad : {"Zm9", "Zm9v!", "Z===", "=Zm9", "Zm=v", "Zm9vYmE=Zm9v"}) {
    EXPECT_FALSE(base64Decode(bad)) << bad;
  }
}

class KubeconfigFiles : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& content) {
    test::spit(tmp_ / name, content);
  }
  test::TempDir tmp_{"kubeconfig"};
  const std::string dir_ = tmp_.path();
};

TEST_F(KubeconfigFiles, InlineDataAndToken) {
  std::string text = R"(apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: "https://10.96.0.1:443"
    certificate-authority-data: )" +
                     base64Encode("CA PEM") + R"(
users:
- name: kuma-cni
  user:
    token: "s3cr3t-token"
contexts:
- name: ctx
  context:
    cluster: local
    user: kuma-cni
current-context: ctx
)";
  auto kc = parseKubeConfig(text, dir_);
  ASSERT_TRUE(kc.ok()) << kc.error().message();
  EXPECT_EQ(kc->server, "https://10.96.0.1:443");
  EXPECT_EQ(kc->caPem, "CA PEM");
  EXPECT_EQ(kc->token.reveal(), "s3cr3t-token");
  EXPECT_FALSE(kc->insecureSkipTlsVerify);
}

TEST_F(KubeconfigFiles, FilesRelativeToTheKubeconfig) {
  write("ca.crt", "CA FROM FILE");
  write("client.crt", "CERT");
  write("client.key", "KEY");
  std::string text = R"({"clusters":[{"name":"c","cluster":{"server":"https://api.example:6443",
    "certificate-authority":"ca.crt","tls-server-name":"kubernetes"}}],
    "users":[{"name":"u","user":{"client-certificate":"client.crt","client-key":")" +
                     dir_ + R"(/client.key","tokenFile":"token"}}],
    "contexts":[{"name":"only","context":{"cluster":"c","user":"u"}}]})";
  auto kc = parseKubeConfig(text, dir_);
  ASSERT_TRUE(kc.ok()) << kc.error().message();
  EXPECT_EQ(kc->caPem, "CA FROM FILE");
  EXPECT_EQ(kc->clientCertPem, "CERT");
  EXPECT_EQ(kc->clientKeyPem.reveal(), "KEY");
  EXPECT_EQ(kc->tokenFile, dir_ + "/token");
  EXPECT_EQ(kc->tlsServerName, "kubernetes");
}

TEST_F(KubeconfigFiles, Errors) {
  const char* bad[] = {
      "{{{",
      "- a list",
      "clusters: []\ncontexts: []\n",
      R"({"current-context":"x","contexts":[{"name":"y","context":{}}]})",
      R"({"contexts":[{"name":"a","context":{"cluster":"c"}}],"clusters":[{"name":"c","cluster":{"server":"http://insecure"}}]})",
      R"({"contexts":[{"name":"a","context":{"cluster":"c"}}],"clusters":[{"name":"c","cluster":{}}]})",
      R"({"contexts":[{"name":"a","context":{"cluster":"c","user":"u"}}],"clusters":[{"name":"c","cluster":{"server":"https://h"}}],"users":[{"name":"u","user":{"exec":{"command":"aws"}}}]})",
      R"({"contexts":[{"name":"a","context":{"cluster":"c","user":"u"}}],"clusters":[{"name":"c","cluster":{"server":"https://h"}}],"users":[{"name":"u","user":{"client-certificate-data":"Q0VSVA=="}}]})",
      R"({"contexts":[{"name":"a","context":{"cluster":"c"}}],"clusters":[{"name":"c","cluster":{"server":"https://h","certificate-authority":"missing.crt"}}]})",
      R"({"contexts":[{"name":"a","context":{"cluster":"c"}}],"clusters":[{"name":"c","cluster":{"server":"https://h","certificate-authority-data":"!!"}}]})",
  };
  for (const char* text : bad) {
    auto kc = parseKubeConfig(text, dir_);
    EXPECT_FALSE(kc.ok()) << text;
  }
}

TEST_F(KubeconfigFiles, ErrorsNeverQuoteTheToken) {
  // A YAML error after the token: the message must locate it without echoing content.
  std::string text = "users:\n- name: u\n  user:\n    token: TOPSECRET\n  bad: [\n";
  auto kc = parseKubeConfig(text, dir_);
  ASSERT_FALSE(kc.ok());
  EXPECT_EQ(kc.error().message().find("TOPSECRET"), std::string::npos) << kc.error().message();
}

}  // namespace
}  // namespace kt::cni

#include "cni/install/kubeconfig_writer.h"

namespace kt::cni {
namespace {

TEST(KubeconfigWriter, WhatTheInstallerWritesThePluginReads) {
  const std::string ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  for (const std::string host : {"10.96.0.1", "fd00:10:96::1", "kubernetes.default.svc"}) {
    for (const std::string token : {"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "we\"ird\\tok"}) {
      Secret text = renderPluginKubeconfig(host, "6443", ca, Secret(token));
      auto kc = parseKubeConfig(text.reveal(), "/nonexistent");
      ASSERT_TRUE(kc.ok()) << kc.error().message();
      bool v6 = host.find(':') != std::string::npos;
      EXPECT_EQ(kc->server, "https://" + (v6 ? "[" + host + "]" : host) + ":6443");
      EXPECT_EQ(kc->caPem, ca);
      EXPECT_EQ(kc->token.reveal(), token);
    }
  }
}

// client-go's rules for insecure-skip-tls-verify: not together with a CA, and never with a
// bearer token (whoever answers would get it).
std::string insecureKubeconfig(const std::string& clusterExtra, const std::string& user) {
  return R"({"clusters":[{"name":"c","cluster":{"server":"https://api.example:6443",
    "insecure-skip-tls-verify":true)" +
         clusterExtra + R"(}}],"users":[{"name":"u","user":)" + user +
         R"(}],"contexts":[{"name":"only","context":{"cluster":"c","user":"u"}}]})";
}

std::string certUser() {
  return std::string(R"({"client-certificate-data":")") + base64Encode("C") +
         R"(","client-key-data":")" + base64Encode("K") + R"("})";
}

TEST_F(KubeconfigFiles, InsecureSkipVerifyIsRefusedWithACa) {
  auto kc = parseKubeConfig(
      insecureKubeconfig(R"(,"certificate-authority-data":")" + base64Encode("CA") + R"(")",
                         certUser()),
      dir_);
  ASSERT_FALSE(kc.ok());
  EXPECT_EQ(kc.error().kind(), ErrorKind::kConfig);
  EXPECT_NE(kc.error().message().find("both a certificate authority and insecure-skip-tls-verify"),
            std::string::npos)
      << kc.error().message();
}

TEST_F(KubeconfigFiles, InsecureSkipVerifyIsRefusedWithABearerToken) {
  for (const char* user : {R"({"token":"s3cr3t-token"})", R"({"tokenFile":"/var/run/token"})"}) {
    auto kc = parseKubeConfig(insecureKubeconfig("", user), dir_);
    ASSERT_FALSE(kc.ok()) << user;
    EXPECT_EQ(kc.error().kind(), ErrorKind::kConfig);
    EXPECT_NE(kc.error().message().find("bearer token"), std::string::npos) << kc.error().message();
    EXPECT_EQ(kc.error().message().find("s3cr3t"), std::string::npos);
  }
  // A client certificate alone proves who we are without handing over a reusable secret.
  auto certOnly = parseKubeConfig(insecureKubeconfig("", certUser()), dir_);
  ASSERT_TRUE(certOnly.ok()) << certOnly.error().message();
  EXPECT_TRUE(certOnly->insecureSkipTlsVerify);
}

}  // namespace
}  // namespace kt::cni
