// libmnl sockets as RAII handles: the one deleter every netlink user of ours shares
// (rtnetlink in sys/netlink_addr, netfilter in the iptables probe and the nftables backend).
#pragma once

#include <libmnl/libmnl.h>

#include <memory>
#include <string>

#include "base/result.h"

namespace kt::sys {

struct MnlSocketClose {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using MnlSocket = std::unique_ptr<mnl_socket, MnlSocketClose>;

// Opens a netlink socket of `bus` (NETLINK_ROUTE, NETLINK_NETFILTER) and binds it with an
// automatic port id. Errors are system errors "opening a <name> socket" / "binding a <name>
// socket" carrying the errno.
Result<MnlSocket> openMnlSocket(int bus, const std::string& name);

}  // namespace kt::sys
