#include "support/traffic.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kt::ebpftest {

namespace {

constexpr int kSoOriginalDst = 80;  // SO_ORIGINAL_DST and IP6T_SO_ORIGINAL_DST

std::string describeSockaddr(const sockaddr_storage& ss) {
  IpAddress a;
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    std::memcpy(a.bytes.data(), &sin.sin_addr, 4);
    port = ntohs(sin.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    a.family = Family::kV6;
    std::memcpy(a.bytes.data(), &sin6.sin6_addr, 16);
    port = ntohs(sin6.sin6_port);
    // Show IPv4-mapped addresses as IPv4, as applications print them.
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.bytes.data(), mapped, 12) == 0) {
      IpAddress v4;
      std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
      a = v4;
    }
  } else {
    return "?";
  }
  return endpoint(a, port);
}

socklen_t fillSockaddr(sockaddr_storage& ss, const IpAddress& a, uint16_t port, bool v6Socket) {
  std::memset(&ss, 0, sizeof ss);
  if (a.family == Family::kV4 && !v6Socket) {
    auto& sin = reinterpret_cast<sockaddr_in&>(ss);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    std::memcpy(&sin.sin_addr, a.bytes.data(), 4);
    return sizeof sin;
  }
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  if (a.family == Family::kV4) {
    sin6.sin6_addr.s6_addr[10] = 0xff;
    sin6.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&sin6.sin6_addr.s6_addr[12], a.bytes.data(), 4);
  } else {
    std::memcpy(&sin6.sin6_addr, a.bytes.data(), 16);
  }
  return sizeof sin6;
}

int listenSocket(Family f, int type, uint16_t port, const char* addr) {
  int domain = f == Family::kV4 ? AF_INET : AF_INET6;
  int fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (domain == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  IpAddress a;
  if (addr != nullptr) {
    a = *IpAddress::parse(addr);
  } else {
    a.family = f;
  }
  sockaddr_storage ss;
  socklen_t len = fillSockaddr(ss, a, port, domain == AF_INET6);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return -1;
  if (type == SOCK_STREAM && ::listen(fd, 64) != 0) return -1;
  return fd;
}

std::string sockName(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                : ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc != 0) return std::string("error: ") + std::strerror(errno);
  return describeSockaddr(ss);
}

std::string originalDst(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  sockaddr_storage local{};
  socklen_t llen = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen);
  int level = local.ss_family == AF_INET ? SOL_IP : SOL_IPV6;
  if (::getsockopt(fd, level, kSoOriginalDst, &ss, &len) != 0) {
    return std::string("error:") + std::strerror(errno);
  }
  return describeSockaddr(ss);
}

void writeAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

struct Served {
  int fd;
  uint16_t port;
  bool tcp;
};

// Serves forever: TCP accept -> reply(fd, port); UDP datagram -> udpReply.
int serveLoop(std::vector<Served> socks, int readyFd,
              const std::function<std::string(int, uint16_t)>& reply, const std::string& udpReply) {
  char c = 1;
  if (::write(readyFd, &c, 1) != 1) return 1;
  ::close(readyFd);
  std::vector<pollfd> pfds;
  for (const auto& s : socks)
    pfds.push_back({s.fd, POLLIN, 0});
  for (;;) {
    if (::poll(pfds.data(), pfds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (size_t i = 0; i < pfds.size(); ++i) {
      if (!(pfds[i].revents & POLLIN)) continue;
      if (socks[i].tcp) {
        int conn = ::accept4(socks[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) continue;
        writeAll(conn, reply(conn, socks[i].port));
        ::close(conn);
      } else {
        char buf[512];
        sockaddr_storage from{};
        socklen_t flen = sizeof from;
        ssize_t n =
            ::recvfrom(socks[i].fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
        if (n < 0) continue;
        ::sendto(socks[i].fd, udpReply.data(), udpReply.size(), 0,
                 reinterpret_cast<sockaddr*>(&from), flen);
      }
    }
  }
}

bool waitFor(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, ms) > 0;
}

}  // namespace

std::string TcpResult::describe() const {
  return std::string(connected ? "connected" : "not connected (" + error + ")") + " reply='" +
         reply + "' peer=" + peer + " local=" + local;
}

std::string UdpResult::describe() const {
  return "reply='" + reply + "' from=" + from + " peer=" + peer +
         (error.empty() ? "" : " error=" + error);
}

Result<std::unique_ptr<Proc>> startSidecar(const Place& place, const std::vector<Listen>& tcp,
                                           uint16_t dnsPort) {
  return Proc::start(place, [tcp, dnsPort](int readyFd) {
    std::vector<Served> socks;
    for (const auto& l : tcp) {
      int fd = listenSocket(l.family, SOCK_STREAM, l.port, nullptr);
      if (fd < 0) return 2;
      socks.push_back({fd, l.port, true});
    }
    if (dnsPort != 0) {
      for (auto [f, addr] : {std::pair{Family::kV4, "127.0.0.1"}, std::pair{Family::kV6, "::1"}}) {
        int fd = listenSocket(f, SOCK_DGRAM, dnsPort, addr);
        if (fd < 0) return 3;
        socks.push_back({fd, dnsPort, false});
      }
    }
    return serveLoop(
        socks, readyFd,
        [](int conn, uint16_t port) {
          return "sidecar port=" + std::to_string(port) + " orig=" + originalDst(conn) +
                 " peer=" + sockName(conn, true) + "\n";
        },
        "dns-proxy");
  });
}

Result<std::unique_ptr<Proc>> startServer(const Place& place, const std::string& tag,
                                          const std::vector<Listen>& tcp,
                                          const std::vector<Listen>& udp) {
  return Proc::start(place, [tag, tcp, udp](int readyFd) {
    std::vector<Served> socks;
    for (const auto& l : tcp) {
      int fd = listenSocket(l.family, SOCK_STREAM, l.port, nullptr);
      if (fd < 0) return 2;
      socks.push_back({fd, l.port, true});
    }
    for (const auto& l : udp) {
      int fd = listenSocket(l.family, SOCK_DGRAM, l.port, nullptr);
      if (fd < 0) return 3;
      socks.push_back({fd, l.port, false});
    }
    return serveLoop(
        socks, readyFd,
        [tag](int conn, uint16_t port) {
          return tag + " port=" + std::to_string(port) + " from=" + sockName(conn, true) + "\n";
        },
        tag + "-udp");
  });
}

TcpResult tcpConnect(const Place& place, const IpAddress& dst, uint16_t port,
                     const TcpOptions& opt) {
  auto out = runIn(place, [&]() -> std::string {
    bool v6 = dst.family == Family::kV6 || opt.v6Socket;
    int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return std::string("E") + std::strerror(errno);
    if (opt.bind) {
      sockaddr_storage src;
      socklen_t slen = fillSockaddr(src, *opt.bind, 0, v6);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&src), slen) != 0)
        return std::string("Ebind: ") + std::strerror(errno);
    }
    sockaddr_storage ss;
    socklen_t len = fillSockaddr(ss, dst, port, v6);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
    if (rc != 0 && errno != EINPROGRESS) return std::string("E") + std::strerror(errno);
    if (!waitFor(fd, POLLOUT, 3000)) return "Etimeout";
    int soerr = 0;
    socklen_t elen = sizeof soerr;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen);
    if (soerr != 0) return std::string("E") + std::strerror(soerr);
    std::string peer = sockName(fd, true), local = sockName(fd, false);
    std::string reply;
    while (reply.find('\n') == std::string::npos && waitFor(fd, POLLIN, 3000)) {
      char buf[256];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
    if (auto nl = reply.find('\n'); nl != std::string::npos) reply.resize(nl);
    return "C" + reply + "\n" + peer + "\n" + local;
  });
  TcpResult r;
  if (!out) {
    r.error = out.error().message();
    return r;
  }
  const std::string& s = *out;
  if (s.empty() || s[0] != 'C') {
    r.error = s.empty() ? "no result" : s.substr(1);
    return r;
  }
  r.connected = true;
  auto l1 = s.find('\n'), l2 = s.find('\n', l1 + 1);
  r.reply = s.substr(1, l1 - 1);
  r.peer = s.substr(l1 + 1, l2 - l1 - 1);
  r.local = s.substr(l2 + 1);
  return r;
}

UdpResult udpQuery(const Place& place, const IpAddress& dst, uint16_t port, bool connected) {
  auto out = runIn(place, [&]() -> std::string {
    bool v6 = dst.family == Family::kV6;
    int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::string("E") + std::strerror(errno);
    sockaddr_storage ss;
    socklen_t len = fillSockaddr(ss, dst, port, v6);
    const char q[] = "query";
    std::string peer = "-";
    if (connected) {
      if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0)
        return std::string("Econnect: ") + std::strerror(errno);
      peer = sockName(fd, true);
      if (::send(fd, q, sizeof q - 1, 0) < 0) return std::string("Esend: ") + std::strerror(errno);
    } else if (::sendto(fd, q, sizeof q - 1, 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      return std::string("Esendto: ") + std::strerror(errno);
    }
    if (!waitFor(fd, POLLIN, 2000)) return "Etimeout";
    char buf[256];
    sockaddr_storage from{};
    socklen_t flen = sizeof from;
    ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n < 0) return std::string("Erecv: ") + std::strerror(errno);
    return "R" + std::string(buf, static_cast<size_t>(n)) + "\n" + describeSockaddr(from) + "\n" +
           peer;
  });
  UdpResult r;
  if (!out) {
    r.error = out.error().message();
    return r;
  }
  const std::string& s = *out;
  if (s.empty() || s[0] != 'R') {
    r.error = s.empty() ? "no result" : s.substr(1);
    return r;
  }
  auto l1 = s.find('\n'), l2 = s.find('\n', l1 + 1);
  r.reply = s.substr(1, l1 - 1);
  r.from = s.substr(l1 + 1, l2 - l1 - 1);
  r.peer = s.substr(l2 + 1);
  return r;
}

}  // namespace kt::ebpftest
