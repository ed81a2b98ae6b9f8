// Reading back the netfilter state of a namespace with every tool that can show it, for the
// "install twice == once" and "nothing of ours remains after uninstall" checks.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "harness/netns.h"

namespace kt::e2e {

// The output of iptables-legacy-save, ip6tables-legacy-save, iptables-nft-save,
// ip6tables-nft-save and `nft list ruleset` run in `ns`, each under a "== tool ==" heading,
// normalized for comparison: comment lines (timestamps) dropped, packet/byte counters zeroed,
// nft's tables and the chains and sets inside them sorted (their order is creation order).
// A tool that is not installed is noted as such, not an error.
Result<std::string> dumpNetfilter(const ScratchNetns& ns);

// The lines of a dump that name something of ours (KUMA_MESH chains, the kuma_mesh table, our
// comments): every line containing "kuma", case-insensitively.
std::vector<std::string> ourLines(const std::string& dump);

}  // namespace kt::e2e
