#include "sys/netlink_addr.h"
#include "sys/mnl.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>

namespace kt::sys {

namespace {

Result<MnlSocket> openRoute() {
  return openMnlSocket(NETLINK_ROUTE, "rtnetlink");
}

using MessageFn = std::function<int(const nlmsghdr*)>;

// Calls f on each attribute after the message's fixed header of `offset` bytes.
template <class F>
void forEachAttr(const nlmsghdr* nlh, size_t offset, F f) {
  const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  const auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, offset));
  while (mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr)))) {
    f(attr);
    attr = mnl_attr_next(attr);
  }
}

int dispatch(const nlmsghdr* nlh, void* data) {
  return (*static_cast<MessageFn*>(data))(nlh);
}

// Requests are a header, a fixed struct and at most two address attributes.
constexpr size_t kRequestBuffer = 256;
// Dump replies come in skbs of up to 32 KiB.
constexpr size_t kReplyBuffer = 32 * 1024;

// Sends the request in `req` and runs `onMessage` on every answer until the kernel is done.
Status talk(mnl_socket* sock, nlmsghdr* req, MessageFn onMessage, const std::string& what) {
  req->nlmsg_seq = static_cast<uint32_t>(std::time(nullptr));
  if (mnl_socket_sendto(sock, req, req->nlmsg_len) < 0) return Error::system(what, errno);
  // Not cleared: the kernel fills what is read.
  std::unique_ptr<char[]> buf(new char[kReplyBuffer]);
  const uint32_t portid = mnl_socket_get_portid(sock);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock, buf.get(), kReplyBuffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::system(what, errno);
    }
    int ret =
        mnl_cb_run(buf.get(), static_cast<size_t>(n), req->nlmsg_seq, portid, dispatch, &onMessage);
    if (ret < 0) return Error::system(what, errno);
    if (ret == MNL_CB_STOP) return {};
  }
}

struct Link {
  std::string name;
  unsigned flags = 0;
};

Result<std::map<uint32_t, Link>> listLinks(mnl_socket* sock) {
  alignas(nlmsghdr) char buf[kRequestBuffer];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  std::map<uint32_t, Link> links;
  KT_TRY(talk(
      sock, nlh,
      [&](const nlmsghdr* m) {
        const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(m));
        Link l;
        l.flags = ifi->ifi_flags;
        forEachAttr(m, sizeof(*ifi), [&](const nlattr* attr) {
          if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
              mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
            l.name = mnl_attr_get_str(attr);
          }
        });
        links[static_cast<uint32_t>(ifi->ifi_index)] = std::move(l);
        return MNL_CB_OK;
      },
      "listing network interfaces"));
  return links;
}

// Every address of `family`, with the interface names and flags from `links`.
Result<std::vector<InterfaceAddress>> listAddressesOn(mnl_socket* sock,
                                                      const std::map<uint32_t, Link>& links,
                                                      Family family) {
  alignas(nlmsghdr) char buf[kRequestBuffer];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = family == Family::kV4 ? AF_INET : AF_INET6;
  std::vector<InterfaceAddress> out;
  KT_TRY(talk(
      sock, nlh,
      [&](const nlmsghdr* m) {
        const auto* a = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(m));
        if (a->ifa_family != ifa->ifa_family) return MNL_CB_OK;
        const size_t size = family == Family::kV4 ? 4 : 16;
        InterfaceAddress ia;
        ia.ifindex = a->ifa_index;
        bool have = false;
        forEachAttr(m, sizeof(*a), [&](const nlattr* attr) {
          auto type = mnl_attr_get_type(attr);
          // IFA_LOCAL is the interface's own address on point-to-point links; prefer it.
          if (((type == IFA_ADDRESS && !have) || type == IFA_LOCAL) &&
              mnl_attr_get_payload_len(attr) == size) {
            ia.cidr.addr.family = family;
            std::memcpy(ia.cidr.addr.bytes.data(), mnl_attr_get_payload(attr), size);
            have = true;
          }
          if (type == IFA_PROTO && mnl_attr_get_payload_len(attr) == 1) {
            ia.proto = mnl_attr_get_u8(attr);
          }
        });
        if (!have) return MNL_CB_OK;
        ia.cidr.prefix = a->ifa_prefixlen;
        auto link = links.find(ia.ifindex);
        if (link != links.end()) {
          ia.ifname = link->second.name;
          ia.loopback = link->second.flags & IFF_LOOPBACK;
        }
        out.push_back(std::move(ia));
        return MNL_CB_OK;
      },
      std::string("listing ") + familyName(family) + " addresses"));
  return out;
}

bool anyNonLoopback(const std::vector<InterfaceAddress>& addrs) {
  for (const auto& a : addrs)
    if (!a.loopback) return true;
  return false;
}

}  // namespace

Result<std::vector<InterfaceAddress>> listAddresses(Family family) {
  KT_ASSIGN_OR_RETURN(auto sock, openRoute());
  KT_ASSIGN_OR_RETURN(auto links, listLinks(sock.get()));
  return listAddressesOn(sock.get(), links, family);
}

Result<std::vector<InterfaceAddress>> listAllAddresses() {
  KT_ASSIGN_OR_RETURN(auto sock, openRoute());
  KT_ASSIGN_OR_RETURN(auto links, listLinks(sock.get()));
  KT_ASSIGN_OR_RETURN(auto out, listAddressesOn(sock.get(), links, Family::kV4));
  KT_ASSIGN_OR_RETURN(auto v6, listAddressesOn(sock.get(), links, Family::kV6));
  out.insert(out.end(), std::make_move_iterator(v6.begin()), std::make_move_iterator(v6.end()));
  return out;
}

Result<InterfaceSummary> summarizeInterfaces(std::optional<Family> family) {
  KT_ASSIGN_OR_RETURN(auto sock, openRoute());
  KT_ASSIGN_OR_RETURN(auto links, listLinks(sock.get()));
  InterfaceSummary out;
  for (const auto& [index, link] : links) {
    if (link.flags & IFF_LOOPBACK) {
      out.loopback = link.name;
      out.loopbackIndex = index;
      break;
    }
  }
  if (family) {
    KT_ASSIGN_OR_RETURN(auto addrs, listAddressesOn(sock.get(), links, *family));
    out.nonLoopbackAddress = anyNonLoopback(addrs);
  }
  return out;
}

Result<bool> hasNonLoopbackAddress(Family family) {
  KT_ASSIGN_OR_RETURN(auto addrs, listAddresses(family));
  return anyNonLoopback(addrs);
}

Result<std::string> loopbackInterface() {
  KT_ASSIGN_OR_RETURN(auto sock, openRoute());
  KT_ASSIGN_OR_RETURN(auto links, listLinks(sock.get()));
  for (const auto& [index, link] : links)
    if (link.flags & IFF_LOOPBACK) return link.name;
  return Error(ErrorKind::kNotFound, "no loopback interface in this network namespace");
}

Result<bool> addPassthroughV6(const std::string& loopback, uint32_t index) {
  if (index != 0) return addAddress(index, loopback, passthroughV6());
  unsigned found = if_nametoindex(loopback.c_str());
  if (found == 0) {
    return Error::system(
        "adding " + passthroughV6().str() + " to " + loopback + ": no such interface", errno);
  }
  return addAddress(found, loopback, passthroughV6());
}

Status removePassthroughV6(const std::string& loopback) {
  return removeAddress(loopback, passthroughV6());
}

Status addAddress(const std::string& ifname, const Cidr& cidr) {
  unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) {
    return Error::system("adding " + cidr.str() + " to " + ifname + ": no such interface", errno);
  }
  KT_ASSIGN_OR_RETURN(bool added, addAddress(index, ifname, cidr));
  (void)added;
  return {};
}

namespace {

// One RTM_NEWADDR / RTM_DELADDR request for `cidr` on interface `index`.
Status changeAddress(uint16_t type, uint16_t flags, uint32_t index, const Cidr& cidr,
                     const std::string& what) {
  KT_ASSIGN_OR_RETURN(auto sock, openRoute());
  alignas(nlmsghdr) char buf[kRequestBuffer];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = cidr.family() == Family::kV4 ? AF_INET : AF_INET6;
  ifa->ifa_prefixlen = cidr.prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = index;
  const auto size = static_cast<uint16_t>(cidr.addr.size());
  mnl_attr_put(nlh, IFA_LOCAL, size, cidr.addr.bytes.data());
  mnl_attr_put(nlh, IFA_ADDRESS, size, cidr.addr.bytes.data());
  if (type == RTM_NEWADDR) mnl_attr_put_u8(nlh, IFA_PROTO, kOurAddressProto);
  return talk(
      sock.get(), nlh, [](const nlmsghdr*) { return MNL_CB_OK; }, what);
}

}  // namespace

Result<bool> addAddress(uint32_t index, const std::string& ifname, const Cidr& cidr) {
  auto s = changeAddress(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, cidr,
                         "adding " + cidr.str() + " to " + ifname);
  if (!s && s.error().errnum() == EEXIST) return false;
  if (!s) return std::move(s).takeError();
  return true;
}

Result<AddressOwner> addressOwner(const std::string& ifname, const Cidr& cidr) {
  KT_ASSIGN_OR_RETURN(auto addrs, listAddresses(cidr.family()));
  for (const auto& a : addrs) {
    if (a.ifname != ifname || a.cidr.prefix != cidr.prefix || a.cidr.addr != cidr.addr) continue;
    return a.proto == kOurAddressProto ? AddressOwner::kUs : AddressOwner::kOther;
  }
  return AddressOwner::kAbsent;
}

Status removeAddress(const std::string& ifname, const Cidr& cidr) {
  const std::string what = "removing " + cidr.str() + " from " + ifname;
  unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) return Error::system(what + ": no such interface", errno);
  auto s = changeAddress(RTM_DELADDR, 0, index, cidr, what);
  if (!s && s.error().errnum() == EADDRNOTAVAIL) return {};
  return s;
}

}  // namespace kt::sys
