#include "tool/responder.h"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

// After netinet/in.h: the kernel headers then skip their copies of the glibc structs.
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include <cerrno>
#include <cstring>
#include <span>

#include <spdlog/spdlog.h>

#include "place/stop_signals.h"
#include "sys/fd.h"
#include "tool/dns_wire.h"
#include "tool/endpoint.h"

namespace kt::e2e {

namespace {

enum class Kind { kLine, kDnsUdp, kDnsTcp };

struct Listener {
  sys::Fd fd;
  Kind kind;
  uint16_t port;
  Family family;
};

Result<sys::Fd> openSocket(Family f, int type, uint16_t port) {
  sys::Fd fd(::socket(domainOf(f), type | SOCK_CLOEXEC, 0));
  if (!fd) return Error::system("socket", errno);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (f == Family::kV6) {
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  if (type == SOCK_DGRAM) {
    // Needed to reply from the address the query was sent to (see the file comment).
    if (f == Family::kV4) {
      ::setsockopt(fd.get(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    } else {
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    }
  }
  Endpoint any{IpAddress{}, port};
  any.addr.family = f;
  SockAddr sa = toSockAddr(any);
  if (::bind(fd.get(), sa.get(), sa.len) != 0) {
    int err = errno;
    return Error::system(
        std::string(type == SOCK_DGRAM ? "UDP" : "TCP") + " bind " + formatEndpoint(any), err);
  }
  if (type == SOCK_STREAM && ::listen(fd.get(), 128) != 0) {
    return Error::system("listen " + formatEndpoint(any), errno);
  }
  return fd;
}

std::string endpointText(const sockaddr_storage& ss, socklen_t len) {
  auto ep = fromSockAddr(reinterpret_cast<const sockaddr*>(&ss), len);
  return ep ? formatEndpoint(*ep) : std::string("unknown");
}

std::string originalDst(int fd, Family f) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int rc = f == Family::kV4 ? ::getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &ss, &len)
                            : ::getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &ss, &len);
  if (rc != 0) return "none";
  return endpointText(ss, len);
}

class Responder {
 public:
  explicit Responder(const ResponderOptions& opt) : opt_(opt) {}

  Status open() {
    for (Family f : {Family::kV4, Family::kV6}) {
      for (uint16_t port : opt_.tcpPorts) {
        KT_ASSIGN_OR_RETURN(sys::Fd fd, openSocket(f, SOCK_STREAM, port));
        listeners_.push_back({std::move(fd), Kind::kLine, port, f});
      }
      if (opt_.dnsPort != 0) {
        KT_ASSIGN_OR_RETURN(sys::Fd udp, openSocket(f, SOCK_DGRAM, opt_.dnsPort));
        listeners_.push_back({std::move(udp), Kind::kDnsUdp, opt_.dnsPort, f});
        KT_ASSIGN_OR_RETURN(sys::Fd tcp, openSocket(f, SOCK_STREAM, opt_.dnsPort));
        listeners_.push_back({std::move(tcp), Kind::kDnsTcp, opt_.dnsPort, f});
      }
    }
    return okStatus();
  }

  Status serve(int signalFd) {
    auto deadline = std::chrono::steady_clock::now() + opt_.lifetime;
    std::vector<pollfd> pfds;
    for (const auto& l : listeners_)
      pfds.push_back({l.fd.get(), POLLIN, 0});
    pfds.push_back({signalFd, POLLIN, 0});
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        spdlog::warn("lifetime of {} s is over, exiting", opt_.lifetime.count());
        return okStatus();
      }
      int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::system("poll", errno);
      if (pfds.back().revents) return okStatus();  // SIGTERM or SIGINT
      for (size_t i = 0; i + 1 < pfds.size(); ++i) {
        if (!pfds[i].revents) continue;
        Listener& l = listeners_[i];
        if (l.kind == Kind::kDnsUdp) {
          answerUdp(l);
        } else {
          acceptOne(l);
        }
      }
    }
  }

 private:
  void acceptOne(const Listener& l) {
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    sys::Fd conn(::accept4(l.fd.get(), reinterpret_cast<sockaddr*>(&peer), &plen, SOCK_CLOEXEC));
    if (!conn) {
      spdlog::warn("accept on port {}: {}", l.port, std::strerror(errno));
      return;
    }
    if (l.kind == Kind::kDnsTcp) {
      answerTcp(conn.get());
      return;
    }
    std::string line;
    if (opt_.role == ResponderOptions::Role::kSidecar) {
      line = "sidecar port=" + std::to_string(l.port) +
             " orig=" + originalDst(conn.get(), l.family) + " peer=" + endpointText(peer, plen);
    } else {
      line = "server port=" + std::to_string(l.port) + " from=" + endpointText(peer, plen) +
             " name=" + opt_.name;
    }
    spdlog::info("{}", line);
    line += '\n';
    // A short line on a fresh connection fits the socket buffer: this does not block.
    if (::send(conn.get(), line.data(), line.size(), MSG_NOSIGNAL) < 0) {
      spdlog::warn("send on port {}: {}", l.port, std::strerror(errno));
    }
  }

  std::vector<uint8_t> answer(std::span<const uint8_t> query) {
    auto q = dns::parseQuery(query);
    if (!q) {
      spdlog::warn("ignoring a malformed DNS query: {}", q.error().message());
      return {};
    }
    spdlog::info("DNS query id={} name={} type={}", q->id, q->name, q->qtype);
    return dns::buildResponse(*q, opt_.dnsA, opt_.dnsAaaa);
  }

  void answerUdp(const Listener& l) {
    uint8_t buf[1500];
    sockaddr_storage from{};
    alignas(cmsghdr) char control[256];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t got = ::recvmsg(l.fd.get(), &msg, MSG_DONTWAIT);
    if (got < 0) return;
    auto reply = answer({buf, static_cast<size_t>(got)});
    if (reply.empty()) return;

    // Send from the address the query arrived at: copy its pktinfo into the reply.
    alignas(cmsghdr) char outControl[256];
    msghdr out{};
    iovec outIov{reply.data(), reply.size()};
    out.msg_name = &from;
    out.msg_namelen = msg.msg_namelen;
    out.msg_iov = &outIov;
    out.msg_iovlen = 1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        in_pktinfo src{};
        src.ipi_spec_dst = info.ipi_addr;
        setControl(out, outControl, IPPROTO_IP, IP_PKTINFO, &src, sizeof src);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        in6_pktinfo src{};
        src.ipi6_addr = info.ipi6_addr;
        setControl(out, outControl, IPPROTO_IPV6, IPV6_PKTINFO, &src, sizeof src);
      }
    }
    if (::sendmsg(l.fd.get(), &out, MSG_DONTWAIT) < 0) {
      spdlog::warn("DNS reply to {}: {}", endpointText(from, msg.msg_namelen),
                   std::strerror(errno));
    }
  }

  static void setControl(msghdr& m, char* buf, int level, int type, const void* data, size_t n) {
    m.msg_control = buf;
    m.msg_controllen = CMSG_SPACE(n);
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(n);
    std::memcpy(CMSG_DATA(c), data, n);
  }

  // DNS over TCP: a 2-byte length, then the message. One query per connection; a client that
  // sends nothing within a second is dropped so it cannot stall the loop.
  void answerTcp(int fd) {
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint8_t buf[2 + 1500];
    size_t have = 0;
    while (have < 2 || have < 2 + static_cast<size_t>((buf[0] << 8) | buf[1])) {
      if (have == sizeof buf) return;
      ssize_t got = ::recv(fd, buf + have, sizeof buf - have, 0);
      if (got <= 0) return;
      have += static_cast<size_t>(got);
    }
    size_t len = static_cast<size_t>((buf[0] << 8) | buf[1]);
    auto reply = answer({buf + 2, len});
    if (reply.empty()) return;
    uint8_t prefix[2] = {static_cast<uint8_t>(reply.size() >> 8),
                         static_cast<uint8_t>(reply.size() & 0xff)};
    reply.insert(reply.begin(), prefix, prefix + 2);
    if (::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) {
      spdlog::warn("DNS TCP reply: {}", std::strerror(errno));
    }
  }

  const ResponderOptions& opt_;
  std::vector<Listener> listeners_;
};

}  // namespace

Status runResponder(const ResponderOptions& opt, const std::function<Status()>& afterBind) {
  // Block the stop signals before anything else so they are only seen through the signalfd.
  KT_ASSIGN_OR_RETURN(sys::Fd sfd, stopSignalFd());

  Responder r(opt);
  KT_TRY(r.open());
  KT_TRY(afterBind());
  return r.serve(sfd.get());
}

}  // namespace kt::e2e
