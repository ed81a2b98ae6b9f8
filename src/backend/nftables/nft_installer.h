// Applying an NftPlan to the kernel of the current network namespace, reading it back, and
// removing it: the kernel I/O of the nftables backend, usable with any plan (tests feed it
// plans the kernel must reject).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "iptables/nft_plan.h"

namespace kt::backend::nftables {

// How an existing table is replaced. Both are one atomic transaction.
enum class ReplaceStrategy {
  // Flush the rules, delete and re-create the sets, keep the chains whose definition did not
  // change (base chains stay hooked). Avoids destroying the table, which costs the kernel
  // several milliseconds (it waits for the old objects to be retired).
  kFlushAndRefill,
  // Delete the table and create it again.
  kDeleteTable,
};

struct InstallOptions {
  ReplaceStrategy replace = ReplaceStrategy::kFlushAndRefill;
};

struct InstallReport {
  bool replaced = false;                                        // the table existed before
  ReplaceStrategy strategy = ReplaceStrategy::kFlushAndRefill;  // when replaced
  size_t messages = 0;                                          // object messages in the batch
  size_t bytes = 0;                                             // batch size
};

// Creates (or replaces) the plan's table in one netlink transaction. Asks first whether the
// table exists (one round trip) so a fresh namespace pays for no deletion. On error nothing
// changed: the previous table, if any, is untouched, and the error names the object or rule
// the kernel refused.
Result<InstallReport> installPlan(const rules::NftPlan& plan, const InstallOptions& opt = {});

// Reads the plan's table back and compares it with what installPlan would create. Returns the
// readable differences (empty = identical); see nft_canonical.h for what is compared.
Result<std::vector<std::string>> verifyPlan(const rules::NftPlan& plan);

// Deletes `table inet <table>` with everything in it. Returns whether it existed.
Result<bool> removeTable(const std::string& table);

// True when the netfilter netlink socket can be opened (nf_tables is usable here).
bool nftablesAvailable();

}  // namespace kt::backend::nftables
