#include "backend/iptables/interfaces.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <vector>

#include <libmnl/libmnl.h>

namespace kt::backend::iptables {

namespace {

struct IfaddrsDeleter {
  void operator()(ifaddrs* p) const { ::freeifaddrs(p); }
};
struct MnlSocketDeleter {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

// One RTM_NEWADDR / RTM_DELADDR request for ::6/128 on `iface`; returns the kernel's errno (0 =
// done).
Result<int> changeAddress(const std::string& iface, uint16_t type, uint16_t flags) {
  unsigned index = ::if_nametoindex(iface.c_str());
  if (index == 0) return Error::system("looking up interface " + iface, errno);
  std::unique_ptr<mnl_socket, MnlSocketDeleter> nl(mnl_socket_open(NETLINK_ROUTE));
  if (!nl) return Error::system("opening a route netlink socket", errno);
  if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return Error::system("binding a route netlink socket", errno);
  }
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  nlh->nlmsg_seq = 1;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET6;
  ifa->ifa_prefixlen = 128;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = index;
  in6_addr addr{};
  addr.s6_addr[15] = 6;
  mnl_attr_put(nlh, IFA_LOCAL, sizeof addr, &addr);
  mnl_attr_put(nlh, IFA_ADDRESS, sizeof addr, &addr);
  if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0) {
    return Error::system("sending an address request for " + iface, errno);
  }
  ssize_t n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
  if (n < 0) return Error::system("reading the address request answer for " + iface, errno);
  if (mnl_cb_run(buf.data(), static_cast<size_t>(n), 1, mnl_socket_get_portid(nl.get()), nullptr,
                 nullptr) < 0) {
    return errno;
  }
  return 0;
}

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
  KT_ASSIGN_OR_RETURN(int err, changeAddress(iface, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL));
  if (err == EEXIST) return false;
  if (err != 0) return Error::system("adding ::6/128 to " + iface, err);
  return true;
}

Status removePassthroughV6(const std::string& iface) {
  KT_ASSIGN_OR_RETURN(int err, changeAddress(iface, RTM_DELADDR, 0));
  if (err != 0 && err != EADDRNOTAVAIL) return Error::system("removing ::6/128 from " + iface, err);
  return okStatus();
}

}  // namespace kt::backend::iptables
