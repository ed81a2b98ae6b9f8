#include "conn_bench.h"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "place/stop_signals.h"
#include "sys/fd.h"

namespace kt::bench {

namespace {

constexpr size_t kMessage = 64;

Result<sys::Fd> listenOn(Family f, uint16_t port) {
  sys::Fd fd(::socket(e2e::domainOf(f), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::system("socket", errno);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (f == Family::kV6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  e2e::Endpoint any{IpAddress{}, port};
  any.addr.family = f;
  e2e::SockAddr sa = e2e::toSockAddr(any);
  if (::bind(fd.get(), sa.get(), sa.len) != 0) {
    return Error::system("bind " + e2e::formatEndpoint(any), errno);
  }
  if (::listen(fd.get(), 4096) != 0) return Error::system("listen", errno);
  return fd;
}

bool readFull(int fd, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::recv(fd, buf + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

}  // namespace

Status runConnServer(uint16_t port, std::chrono::seconds lifetime,
                     const std::function<Status()>& ready) {
  KT_ASSIGN_OR_RETURN(sys::Fd sfd, e2e::stopSignalFd());
  KT_ASSIGN_OR_RETURN(sys::Fd v4, listenOn(Family::kV4, port));
  KT_ASSIGN_OR_RETURN(sys::Fd v6, listenOn(Family::kV6, port));
  KT_TRY(ready());

  auto deadline = std::chrono::steady_clock::now() + lifetime;
  pollfd pfds[3] = {{v4.get(), POLLIN, 0}, {v6.get(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
  char buf[kMessage];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return okStatus();
    int n = ::poll(pfds, 3, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::system("poll", errno);
    if (pfds[2].revents) return okStatus();
    for (int i = 0; i < 2; ++i) {
      if (!pfds[i].revents) continue;
      sys::Fd conn(::accept4(pfds[i].fd, nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) continue;
      // A client that stalls would stall the benchmark anyway; bound it all the same.
      timeval tv{2, 0};
      ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (readFull(conn.get(), buf, kMessage)) ::send(conn.get(), buf, kMessage, MSG_NOSIGNAL);
    }
  }
}

Result<double> runConnClient(const e2e::Endpoint& to, int count) {
  e2e::SockAddr sa = e2e::toSockAddr(to);
  char msg[kMessage] = {};
  char reply[kMessage];
  linger hardClose{1, 0};
  timeval tv{5, 0};
  timespec t0{}, t1{};
  ::clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < count; ++i) {
    sys::Fd fd(::socket(e2e::domainOf(to.addr.family), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return Error::system("socket", errno);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd.get(), sa.get(), sa.len) != 0) {
      return Error::system(
          "connect " + e2e::formatEndpoint(to) + " (connection " + std::to_string(i) + ")", errno);
    }
    if (::send(fd.get(), msg, kMessage, MSG_NOSIGNAL) != static_cast<ssize_t>(kMessage)) {
      return Error::system("send", errno);
    }
    if (!readFull(fd.get(), reply, kMessage)) {
      return Error::runtime("no reply from " + e2e::formatEndpoint(to));
    }
    ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &hardClose, sizeof hardClose);
  }
  ::clock_gettime(CLOCK_MONOTONIC, &t1);
  double seconds = static_cast<double>(t1.tv_sec - t0.tv_sec) +
                   static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e9;
  return count / seconds;
}

}  // namespace kt::bench
