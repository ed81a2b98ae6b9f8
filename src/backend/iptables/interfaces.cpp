#include "backend/iptables/interfaces.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>

#include "sys/netlink_addr.h"

namespace kt::backend::iptables {

namespace {

struct IfaddrsDeleter {
  void operator()(ifaddrs* p) const { ::freeifaddrs(p); }
};

}  // namespace

Result<InterfaceFacts> readInterfaces() {
  ifaddrs* raw = nullptr;
  if (::getifaddrs(&raw) != 0) return Error::system("listing network interfaces", errno);
  std::unique_ptr<ifaddrs, IfaddrsDeleter> list(raw);
  InterfaceFacts f;
  bool loopbackSeen = false;
  for (ifaddrs* i = raw; i; i = i->ifa_next) {
    bool loopback = (i->ifa_flags & IFF_LOOPBACK) != 0;
    if (loopback && !loopbackSeen && i->ifa_name) {
      f.loopback = i->ifa_name;
      loopbackSeen = true;
    }
    if (!loopback && i->ifa_addr && i->ifa_addr->sa_family == AF_INET6) f.nonLoopbackIpv6 = true;
  }
  return f;
}

Result<bool> addPassthroughV6(const std::string& iface) {
  unsigned index = ::if_nametoindex(iface.c_str());
  if (index == 0) return Error::system("looking up interface " + iface, errno);
  return sys::addAddress(index, iface, sys::passthroughV6());
}

Status removePassthroughV6(const std::string& iface) {
  return sys::removeAddress(iface, sys::passthroughV6());
}

}  // namespace kt::backend::iptables
