#include "tool/endpoint.h"

#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace kt::e2e {

Result<Endpoint> parseEndpoint(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error::config("'" + std::string(text) + "' is not [IPv6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Error::config("'" + std::string(text) + "' is not IPv4:PORT or [IPv6]:PORT");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  KT_ASSIGN_OR_RETURN(IpAddress addr, IpAddress::parse(host));
  KT_ASSIGN_OR_RETURN(uint16_t p, parsePort(port, /*allowZero=*/true));
  return Endpoint{addr, p};
}

std::string formatEndpoint(const Endpoint& ep) {
  std::string host = ep.addr.str();
  if (ep.addr.family == Family::kV6) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port);
}

int domainOf(Family f) {
  return f == Family::kV4 ? AF_INET : AF_INET6;
}

SockAddr toSockAddr(const Endpoint& ep) {
  SockAddr sa;
  if (ep.addr.family == Family::kV4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&sa.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(ep.port);
    std::memcpy(&in->sin_addr, ep.addr.bytes.data(), 4);
    sa.len = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&sa.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(ep.port);
    std::memcpy(&in6->sin6_addr, ep.addr.bytes.data(), 16);
    sa.len = sizeof(sockaddr_in6);
  }
  return sa;
}

Result<Endpoint> fromSockAddr(const sockaddr* sa, socklen_t len) {
  Endpoint ep;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    ep.addr.family = Family::kV4;
    std::memcpy(ep.addr.bytes.data(), &in->sin_addr, 4);
    ep.port = ntohs(in->sin_port);
    return ep;
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    ep.port = ntohs(in6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      ep.addr.family = Family::kV4;
      std::memcpy(ep.addr.bytes.data(), in6->sin6_addr.s6_addr + 12, 4);
    } else {
      ep.addr.family = Family::kV6;
      std::memcpy(ep.addr.bytes.data(), &in6->sin6_addr, 16);
    }
    return ep;
  }
  return Error::runtime("unexpected socket address family " + std::to_string(sa->sa_family));
}

}  // namespace kt::e2e
