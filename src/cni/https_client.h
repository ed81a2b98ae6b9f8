// A small HTTP/1.1 client over OpenSSL for the Kubernetes API: one GET per connection, TLS 1.2+
// with certificate and host name (or IP address) verification, optional client certificate, a
// deadline for the whole exchange. No libcurl, so the image stays small.
//
// Error kinds tell the caller what is worth retrying: kTransient for connection failures,
// timeouts and TLS I/O errors; kConfig for TLS set-up and certificate verification failures
// (retrying will not fix a wrong CA); kRuntime for a malformed answer.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "cni/http_response.h"
#include "cni/secret.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace kt::cni {

struct HttpsUrl {
  std::string host;  // without brackets for IPv6 literals
  uint16_t port = 443;
  std::string basePath;  // "" or "/prefix" (no trailing slash)
  // Accepts "https://host[:port][/prefix]" with host a name, an IPv4 address or "[IPv6]".
  static Result<HttpsUrl> parse(std::string_view url);
  // "host:port" as it goes into the Host header and log lines.
  std::string authority() const;
};

struct TlsSettings {
  std::string caPem;  // trust anchors; empty = the system store
  bool insecureSkipVerify = false;
  std::string serverName;  // verify against this name instead of the URL's host
  std::string clientCertPem;
  Secret clientKeyPem;
};

class HttpsClient {
 public:
  // Builds the TLS context (trust anchors, client certificate). kConfig errors for bad PEM data.
  static Result<HttpsClient> make(HttpsUrl url, const TlsSettings& tls);
  HttpsClient(HttpsClient&&) noexcept;
  HttpsClient& operator=(HttpsClient&&) noexcept;
  ~HttpsClient();

  // GET basePath + target over a fresh connection. `bearer`, when not empty, goes into the
  // Authorization header and nowhere else. Any HTTP status is a successful Result.
  Result<HttpResponse> get(const std::string& target, const Secret& bearer,
                           std::chrono::milliseconds timeout) const;

  const HttpsUrl& url() const { return url_; }

 private:
  struct CtxFree {
    void operator()(SSL_CTX* ctx) const;
  };
  HttpsClient(HttpsUrl url, std::unique_ptr<SSL_CTX, CtxFree> ctx, std::string verifyName,
              bool verify);

  HttpsUrl url_;
  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
  std::string verifyName_;
  bool verify_ = true;
};

}  // namespace kt::cni
