#include "backend/iptables/netfilter_probe.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include <libmnl/libmnl.h>

#include "base/strings.h"
#include "sys/fd.h"
#include "sys/mnl.h"

namespace kt::backend::iptables {

namespace {

using sys::MnlSocket;

Result<MnlSocket> openNetfilterSocket() {
  return sys::openMnlSocket(NETLINK_NETFILTER, "netfilter netlink");
}

nlmsghdr* putNfHeader(char* buf, uint16_t type, uint16_t flags, uint8_t family, uint32_t seq,
                      uint16_t resId = 0) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = htons(resId);
  return nlh;
}

uint16_t nftType(int msg) {
  return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

int tableAttr(const nlattr* attr, void* data) {
  if (mnl_attr_get_type(attr) == NFTA_TABLE_NAME &&
      mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) {
    *static_cast<const char**>(data) = mnl_attr_get_str(attr);
  }
  return MNL_CB_OK;
}

int tableMsg(const nlmsghdr* nlh, void* data) {
  const char* name = nullptr;
  mnl_attr_parse(nlh, sizeof(nfgenmsg), tableAttr, &name);
  if (name) static_cast<std::set<std::string>*>(data)->insert(name);
  return MNL_CB_OK;
}

Result<std::set<std::string>> nftTables(Family f) {
  KT_ASSIGN_OR_RETURN(MnlSocket nl, openNetfilterSocket());
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  uint32_t seq = 1;
  uint8_t family = f == Family::kV4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
  nlmsghdr* nlh = putNfHeader(buf.data(), nftType(NFT_MSG_GETTABLE), NLM_F_DUMP, family, seq);
  if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0) {
    return Error::system("asking nf_tables for its tables", errno);
  }
  std::set<std::string> names;
  uint32_t portid = mnl_socket_get_portid(nl.get());
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
    if (n < 0) return Error::system("reading the nf_tables table list", errno);
    int r = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid, tableMsg, &names);
    if (r < 0) return Error::system("reading the nf_tables table list", errno);
    if (r == MNL_CB_STOP) break;
  }
  return names;
}

Result<std::set<std::string>> legacyTables(Family f) {
  const char* file = f == Family::kV4 ? "/proc/thread-self/net/ip_tables_names"
                                      : "/proc/thread-self/net/ip6_tables_names";
  std::set<std::string> names;
  std::ifstream in(file);
  // No file: x_tables for this family was never loaded, so no legacy table exists.
  if (!in) return names;
  std::string line;
  while (std::getline(in, line)) {
    auto name = trim(line);
    if (!name.empty()) names.emplace(name);
  }
  return names;
}

Status probeLegacyIpv6Nat() {
  sys::Fd fd(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
  if (!fd) return Error::system("opening a raw IPv6 socket to probe ip6tables-legacy", errno);
  ip6t_getinfo info{};
  std::strncpy(info.name, "nat", sizeof info.name - 1);
  socklen_t len = sizeof info;
  if (::getsockopt(fd.get(), IPPROTO_IPV6, IP6T_SO_GET_INFO, &info, &len) != 0) {
    int err = errno;
    return Error::system("the legacy ip6tables nat table is not available", err)
        .kind(ErrorKind::kUnsupported);
  }
  return okStatus();
}

Status probeNftIpv6Nat() {
  KT_ASSIGN_OR_RETURN(MnlSocket nl, openNetfilterSocket());
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  char* p = buf.data();
  uint32_t seq = 1;
  // A table name nobody else uses; the batch is never committed, so it never exists.
  std::string table = "kuma_mesh_probe_" + std::to_string(::getpid());

  nlmsghdr* nlh = putNfHeader(p, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, seq++, NFNL_SUBSYS_NFTABLES);
  p += nlh->nlmsg_len;
  nlh = putNfHeader(p, nftType(NFT_MSG_NEWTABLE), NLM_F_CREATE, NFPROTO_IPV6, seq++);
  mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table.c_str());
  p += nlh->nlmsg_len;
  uint32_t chainSeq = seq++;
  nlh = putNfHeader(p, nftType(NFT_MSG_NEWCHAIN), NLM_F_CREATE | NLM_F_ACK, NFPROTO_IPV6, chainSeq);
  mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, table.c_str());
  mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "probe");
  mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, "nat");
  nlattr* hook = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
  mnl_attr_put_u32(nlh, NFTA_HOOK_HOOKNUM, htonl(NF_INET_PRE_ROUTING));
  mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, htonl(static_cast<uint32_t>(-100)));
  mnl_attr_nest_end(nlh, hook);
  p += nlh->nlmsg_len;
  // No NFNL_MSG_BATCH_END: the kernel validates every message, then aborts the transaction
  // (NFNL_ABORT_VALIDATE), and still reports each message's result.

  if (mnl_socket_sendto(nl.get(), buf.data(), static_cast<size_t>(p - buf.data())) < 0) {
    return Error::system("sending the nf_tables IPv6 nat probe", errno);
  }
  // The answers: NLMSG_ERROR per message (error 0 = ack, asked for on the chain only; errors
  // always come). An error on another message (EPERM on the batch) also ends the probe.
  timeval timeout{5, 0};
  ::setsockopt(mnl_socket_get_fd(nl.get()), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  int chainError = -1;
  while (chainError < 0) {
    ssize_t n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
    if (n < 0) return Error::system("reading the nf_tables IPv6 nat probe answer", errno);
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(h, left);
         h = mnl_nlmsg_next(h, &left)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
      if (h->nlmsg_seq == chainSeq || err->error != 0) {
        chainError = -err->error;
        break;
      }
    }
  }
  if (chainError != 0) {
    return Error::system("nf_tables rejects an IPv6 nat chain", chainError)
        .kind(ErrorKind::kUnsupported);
  }
  return okStatus();
}

}  // namespace

Result<std::set<std::string>> existingTables(Mode m, Family f) {
  if (m == Mode::kLegacy) return legacyTables(f);
  return nftTables(f);
}

Status probeIpv6Nat(Mode m) {
  if (m == Mode::kLegacy) return probeLegacyIpv6Nat();
  return probeNftIpv6Nat();
}

}  // namespace kt::backend::iptables
