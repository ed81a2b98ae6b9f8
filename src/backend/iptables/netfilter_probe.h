// In-process probes of the netfilter state of the current network namespace. They replace
// program runs where a cheap kernel question answers as well: a fresh pod namespace has no
// tables at all, and then install needs no *-save run (a start-up benchmark target,
// tests/bench/targets.h).
#pragma once

#include <set>
#include <string>

#include "backend/iptables/mode.h"
#include "base/net.h"
#include "base/result.h"

namespace kt::backend::iptables {

// The xtables-compatible tables (raw, nat, mangle, filter, security) that exist in mode m for
// family f. Legacy: the kernel's /proc/net/ip{6}_tables_names (a table appears there once
// anything touched it). nft: one netlink dump of the nf_tables tables of family ip / ip6.
// Nothing is created by asking.
Result<std::set<std::string>> existingTables(Mode m, Family f);

// Whether the IPv6 nat table can be used in mode m. Legacy: asks x_tables for the ip6 nat table
// (which instantiates it, as ip6tables would); microseconds. nft: validates a nat base chain in a
// throwaway ip6 table inside a batch that is never committed (what `nft --check` does); the
// kernel unregisters the probe's hook when it aborts, which costs 10+ ms, so the backend asks
// only after an IPv6 restore failed. Errors say why.
Status probeIpv6Nat(Mode m);

}  // namespace kt::backend::iptables
