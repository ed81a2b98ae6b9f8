#include "tool/client.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/strings.h"
#include "sys/fd.h"
#include "tool/dns_wire.h"

namespace kt::e2e {

namespace {

using Clock = std::chrono::steady_clock;

int exitForErrno(int err) {
  switch (err) {
    case ECONNREFUSED:
      return kExitRefused;
    case ETIMEDOUT:
      return kExitTimeout;
    case EHOSTUNREACH:
    case ENETUNREACH:
      return kExitUnreachable;
    default:
      return kExitError;
  }
}

// Waits for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error (errno set).
int waitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n > 0) return 1;
  }
}

Result<sys::Fd> makeSocket(Family f, int type, const std::optional<IpAddress>& bindAddr) {
  sys::Fd fd(::socket(domainOf(f), type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::system("socket", errno);
  if (bindAddr) {
    if (bindAddr->family != f) return Error::config("--bind and --to are of different families");
    SockAddr sa = toSockAddr(Endpoint{*bindAddr, 0});
    if (::bind(fd.get(), sa.get(), sa.len) != 0) {
      int err = errno;
      return Error::system("bind " + bindAddr->str(), err);
    }
  }
  return fd;
}

}  // namespace

Result<Outcome> runConnect(const ConnectOptions& opt) {
  auto deadline = Clock::now() + opt.timeout;
  KT_ASSIGN_OR_RETURN(sys::Fd fd, makeSocket(opt.to.addr.family, SOCK_STREAM, opt.bindAddr));
  SockAddr to = toSockAddr(opt.to);
  if (::connect(fd.get(), to.get(), to.len) != 0 && errno != EINPROGRESS) {
    int err = errno;
    if (exitForErrno(err) != kExitError) return Outcome{exitForErrno(err), {}};
    return Error::system("connect " + formatEndpoint(opt.to), err);
  }
  int w = waitFor(fd.get(), POLLOUT, deadline);
  if (w < 0) return Error::system("poll", errno);
  if (w == 0) return Outcome{kExitTimeout, {}};
  int soerr = 0;
  socklen_t len = sizeof soerr;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &len);
  if (soerr != 0) {
    if (exitForErrno(soerr) != kExitError) return Outcome{exitForErrno(soerr), {}};
    return Error::system("connect " + formatEndpoint(opt.to), soerr);
  }

  std::string data;
  while (data.find('\n') == std::string::npos) {
    int r = waitFor(fd.get(), POLLIN, deadline);
    if (r < 0) return Error::system("poll", errno);
    if (r == 0) return Outcome{kExitTimeout, {}};
    char buf[512];
    ssize_t got = ::recv(fd.get(), buf, sizeof buf, 0);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got < 0) {
      int err = errno;
      if (err == ECONNRESET) return Outcome{kExitNoReply, {}};
      return Error::system("recv from " + formatEndpoint(opt.to), err);
    }
    if (got == 0) break;
    data.append(buf, static_cast<size_t>(got));
  }
  auto nl = data.find('\n');
  if (nl == std::string::npos) return Outcome{kExitNoReply, {}};
  return Outcome{kExitReply, data.substr(0, nl)};
}

Result<Outcome> runDns(const DnsOptions& opt) {
  auto deadline = Clock::now() + opt.timeout;
  dns::Question q;
  if (::getrandom(&q.id, sizeof q.id, 0) != sizeof q.id) return Error::system("getrandom", errno);
  q.name = opt.name;
  q.qtype = opt.qtype;
  KT_ASSIGN_OR_RETURN(auto query, dns::buildQuery(q));

  KT_ASSIGN_OR_RETURN(sys::Fd fd, makeSocket(opt.to.addr.family, SOCK_DGRAM, std::nullopt));
  SockAddr to = toSockAddr(opt.to);
  if (opt.connected && ::connect(fd.get(), to.get(), to.len) != 0) {
    return Error::system("connect " + formatEndpoint(opt.to), errno);
  }
  ssize_t sent = opt.connected
                     ? ::send(fd.get(), query.data(), query.size(), 0)
                     : ::sendto(fd.get(), query.data(), query.size(), 0, to.get(), to.len);
  if (sent < 0) {
    int err = errno;
    if (exitForErrno(err) != kExitError) return Outcome{exitForErrno(err), {}};
    return Error::system("send to " + formatEndpoint(opt.to), err);
  }

  while (true) {
    int r = waitFor(fd.get(), POLLIN, deadline);
    if (r < 0) return Error::system("poll", errno);
    if (r == 0) return Outcome{kExitTimeout, {}};
    uint8_t buf[1500];
    sockaddr_storage from{};
    socklen_t flen = sizeof from;
    ssize_t got =
        ::recvfrom(fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got < 0) {
      int err = errno;
      if (exitForErrno(err) != kExitError) return Outcome{exitForErrno(err), {}};
      return Error::system("recvfrom", err);
    }
    auto answer = dns::parseResponse({buf, static_cast<size_t>(got)}, q.id);
    // A datagram that is not our answer (stray or forged) is skipped, as a resolver would.
    if (!answer) continue;
    KT_ASSIGN_OR_RETURN(Endpoint src, fromSockAddr(reinterpret_cast<sockaddr*>(&from), flen));
    std::string addr = answer->has_value() ? (*answer)->str() : std::string("none");
    return Outcome{kExitReply, "dns answer=" + addr + " from=" + formatEndpoint(src)};
  }
}

}  // namespace kt::e2e
