#include "cni/https_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include <spdlog/spdlog.h>

#include "base/strings.h"
#include "sys/fd.h"
#include "version.h"

namespace kt::cni {

namespace {

using Clock = std::chrono::steady_clock;

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct AddrinfoFree {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};

// OpenSSL writes to the socket with write(2), so a peer that closed the connection raises
// SIGPIPE. Blocks it for this thread while the object lives and swallows a SIGPIPE raised
// meanwhile, so the EPIPE comes back as an error value whatever the process's disposition is.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    timespec zero{0, 0};
    while (sigtimedwait(&pipe, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t old_;
};

// The OpenSSL error queue as text (and cleared), for messages.
std::string sslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no details from OpenSSL" : out;
}

bool isIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::unique_ptr<BIO, BioFree> memBio(std::string_view pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

Error timedOut(const std::string& what) {
  return Error(ErrorKind::kTransient, "timed out " + what + " (the request's deadline passed)");
}

Status waitFd(int fd, short events, Clock::time_point deadline, const std::string& what) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, remainingMs(deadline));
    if (n > 0) return okStatus();
    if (n == 0) return timedOut(what);
    if (errno != EINTR) return Error::system("poll while " + what, errno);
  }
}

Result<sys::Fd> connectTo(const HttpsUrl& url, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &raw); rc != 0) {
    return Error(ErrorKind::kTransient, "resolving " + url.host + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, AddrinfoFree> list(raw);
  std::string lastError = "no address";
  for (addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
    sys::Fd fd(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      lastError = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
      lastError = std::strerror(errno);
      continue;
    }
    if (auto s = waitFd(fd.get(), POLLOUT, deadline, "connecting"); !s) {
      lastError = s.error().message();
      continue;
    }
    int soErr = 0;
    socklen_t len = sizeof soErr;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soErr, &len);
    if (soErr == 0) return fd;
    lastError = std::strerror(soErr);
  }
  return Error(ErrorKind::kTransient, "connecting to " + url.authority() + ": " + lastError);
}

// Drives one non-blocking TLS operation until it completes or the deadline passes. `op` returns
// the OpenSSL call's result; > 0 is success. The deadline is checked before every attempt, not
// only when the socket has nothing to read: a server that keeps sending (a chunk stream, a byte
// at a time) would otherwise never let a wait time out.
template <class Op>
Result<int> tlsStep(SSL* ssl, int fd, Clock::time_point deadline, const std::string& what,
                    Op&& op) {
  for (;;) {
    if (Clock::now() >= deadline) return timedOut(what);
    ERR_clear_error();
    int rc = op();
    if (rc > 0) return rc;
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ) {
      KT_TRY(waitFd(fd, POLLIN, deadline, what));
      continue;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
      KT_TRY(waitFd(fd, POLLOUT, deadline, what));
      continue;
    }
    if (err == SSL_ERROR_ZERO_RETURN) return 0;  // clean close_notify
    if (err == SSL_ERROR_SYSCALL) {
      int e = errno;
      ERR_clear_error();
      if (e == 0) return 0;  // EOF without close_notify
      return Error(ErrorKind::kTransient, what + ": " + std::strerror(e), 0);
    }
    return Error(ErrorKind::kTransient, what + ": " + sslErrors());
  }
}

}  // namespace

void HttpsClient::CtxFree::operator()(SSL_CTX* ctx) const {
  SSL_CTX_free(ctx);
}

Result<HttpsUrl> HttpsUrl::parse(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return Error::config("server URL " + quoteForMessage(url) + ": " + why);
  };
  if (!startsWith(url, "https://")) return bad("only https:// is supported");
  std::string_view rest = url.substr(8);
  auto slash = rest.find('/');
  std::string_view hostPort = rest.substr(0, slash);
  HttpsUrl u;
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/')
      path.remove_suffix(1);
    if (path.find_first_of("?#") != std::string_view::npos) return bad("query or fragment");
    u.basePath = std::string(path);
  }
  std::string_view portText;
  if (!hostPort.empty() && hostPort.front() == '[') {
    auto close = hostPort.find(']');
    if (close == std::string_view::npos) return bad("unclosed '['");
    u.host = std::string(hostPort.substr(1, close - 1));
    std::string_view after = hostPort.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("garbage after ']'");
      portText = after.substr(1);
    }
    unsigned char buf[16];
    if (inet_pton(AF_INET6, u.host.c_str(), buf) != 1) return bad("not an IPv6 address in []");
  } else {
    auto colon = hostPort.find(':');
    u.host = std::string(hostPort.substr(0, colon));
    if (colon != std::string_view::npos) portText = hostPort.substr(colon + 1);
  }
  if (u.host.empty()) return bad("no host");
  for (char c : u.host) {
    auto uc = static_cast<unsigned char>(c);
    if (uc <= 0x20 || uc >= 0x7f || c == '@' || c == '/' || c == '\\') return bad("bad host");
  }
  if (!portText.empty()) {
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (ec != std::errc() || ptr != portText.data() + portText.size() || port == 0 ||
        port > 65535) {
      return bad("bad port");
    }
    u.port = static_cast<uint16_t>(port);
  }
  return u;
}

std::string HttpsUrl::authority() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

HttpsClient::HttpsClient(HttpsUrl url, std::unique_ptr<SSL_CTX, CtxFree> ctx,
                         std::string verifyName, bool verify)
    : url_(std::move(url)),
      ctx_(std::move(ctx)),
      verifyName_(std::move(verifyName)),
      verify_(verify) {}
HttpsClient::HttpsClient(HttpsClient&&) noexcept = default;
HttpsClient& HttpsClient::operator=(HttpsClient&&) noexcept = default;
HttpsClient::~HttpsClient() = default;

Result<HttpsClient> HttpsClient::make(HttpsUrl url, const TlsSettings& tls) {
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Error::runtime("creating the TLS context: " + sslErrors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // A server that closes without close_notify after a complete, framed answer is not an error;
  // the response parser decides whether the answer was complete.
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);

  if (!tls.caPem.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    auto bio = memBio(tls.caPem);
    int added = 0;
    while (std::unique_ptr<X509, X509Free> cert{
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
      if (X509_STORE_add_cert(store, cert.get()) != 1) {
        return Error::config("adding a CA certificate: " + sslErrors());
      }
      ++added;
    }
    ERR_clear_error();  // the loop ends with a "no start line" error
    if (added == 0) return Error::config("the CA data holds no PEM certificate");
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return Error::config("loading the system trust store: " + sslErrors());
  }

  if (!tls.clientCertPem.empty()) {
    auto bio = memBio(tls.clientCertPem);
    std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert || SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1) {
      return Error::config("loading the client certificate: " + sslErrors());
    }
    // Intermediates after the leaf go into the chain we present.
    while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      if (SSL_CTX_add_extra_chain_cert(ctx.get(), extra) != 1) {  // takes ownership on success
        X509_free(extra);
        return Error::config("adding a client certificate chain entry: " + sslErrors());
      }
    }
    ERR_clear_error();
    auto keyBio = memBio(tls.clientKeyPem.reveal());
    std::unique_ptr<EVP_PKEY, PkeyFree> key(
        PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr));
    if (!key || SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      // sslErrors() names the failing OpenSSL function, never key material.
      return Error::config("loading the client key: " + sslErrors());
    }
  }
  bool verify = !tls.insecureSkipVerify;
  SSL_CTX_set_verify(ctx.get(), verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!verify) spdlog::warn("TLS certificate verification of the API server is disabled");
  std::string verifyName = tls.serverName.empty() ? url.host : tls.serverName;
  return HttpsClient(std::move(url), std::move(ctx), std::move(verifyName), verify);
}

Result<HttpResponse> HttpsClient::get(const std::string& target, const Secret& bearer,
                                      std::chrono::milliseconds timeout) const {
  for (char c : bearer.reveal()) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f) {
      return Error::config("the bearer token contains blanks or control characters");
    }
  }
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return Error::config("request path has a blank or control byte");
  }
  auto deadline = Clock::now() + timeout;
  SigpipeBlock noSigpipe;
  KT_ASSIGN_OR_RETURN(sys::Fd fd, connectTo(url_, deadline));

  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx_.get()));
  if (!ssl) return Error::runtime("creating a TLS session: " + sslErrors());
  SSL_set_fd(ssl.get(), fd.get());
  if (verify_) {
    if (isIpLiteral(verifyName_)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), verifyName_.c_str());
    } else {
      SSL_set1_host(ssl.get(), verifyName_.c_str());
    }
  }
  if (!isIpLiteral(verifyName_)) SSL_set_tlsext_host_name(ssl.get(), verifyName_.c_str());

  std::string where = "TLS handshake with " + url_.authority();
  auto hs = tlsStep(ssl.get(), fd.get(), deadline, where, [&] { return SSL_connect(ssl.get()); });
  if (!hs || *hs == 0) {
    long vr = SSL_get_verify_result(ssl.get());
    if (verify_ && vr != X509_V_OK) {
      return Error::config(
                 where + ": certificate verification failed: " + X509_verify_cert_error_string(vr))
          .hint("check the CA in the kubeconfig and that the certificate names " + verifyName_);
    }
    if (!hs) return std::move(hs).takeError();
    return Error(ErrorKind::kTransient, where + ": connection closed");
  }

  std::string request = "GET " + url_.basePath + target + " HTTP/1.1\r\nHost: " + url_.authority() +
                        "\r\nUser-Agent: kuma-cni/" + KT_VERSION +
                        "\r\nAccept: application/json\r\nConnection: close\r\n";
  spdlog::debug("GET https://{}{}{}", url_.authority(), url_.basePath, target);
  if (!bearer.empty()) request += "Authorization: Bearer " + bearer.reveal() + "\r\n";
  request += "\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    KT_ASSIGN_OR_RETURN(int n, tlsStep(ssl.get(), fd.get(), deadline, "sending the request", [&] {
                          return SSL_write(ssl.get(), request.data() + sent,
                                           static_cast<int>(request.size() - sent));
                        }));
    if (n == 0) return Error(ErrorKind::kTransient, "connection closed while sending");
    sent += static_cast<size_t>(n);
  }
  // Wipe the copy holding the token as soon as it has been sent.
  OPENSSL_cleanse(request.data(), request.size());

  HttpResponseParser parser;
  char buf[16384];
  for (;;) {
    KT_ASSIGN_OR_RETURN(int n, tlsStep(ssl.get(), fd.get(), deadline, "reading the response",
                                       [&] { return SSL_read(ssl.get(), buf, sizeof buf); }));
    if (n == 0) {
      KT_TRY(parser.finish());
      return parser.take();
    }
    KT_ASSIGN_OR_RETURN(bool done, parser.feed(std::string_view(buf, static_cast<size_t>(n))));
    if (done) return parser.take();
  }
}

}  // namespace kt::cni
