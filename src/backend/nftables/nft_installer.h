// Applying an NftPlan to the kernel of the current network namespace, reading it back, and
// removing it: the kernel I/O of the nftables backend, usable with any plan (tests feed it
// plans the kernel must reject).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "iptables/nft_plan.h"

namespace kt::backend::nftables {

// How an existing table that differs from the plan is replaced. Both are one atomic
// transaction and cost about the same: whatever a transaction deletes (rules, sets, chains or
// the table) the kernel frees after an RCU grace period, and the next close of a netfilter
// netlink socket (ours, at the latest when the process exits) waits for that, 10-15 ms on the
// test machine. Measured with the default rule set and 100 / 1000 / 5000 excluded ports, the
// two strategies were within the noise of each other. What makes re-runs cheap is that an
// identical table is not touched at all (see installPlan).
enum class ReplaceStrategy {
  // Flush the rules, delete and re-create the sets, keep the chains whose definition and
  // position did not change (base chains stay hooked). The default. Falls back to
  // kDeleteTable when the table holds objects other than chains and sets.
  kFlushAndRefill,
  // Delete the table and create it again.
  kDeleteTable,
};

struct InstallOptions {
  ReplaceStrategy replace = ReplaceStrategy::kFlushAndRefill;
};

struct InstallReport {
  bool replaced = false;   // the table existed before
  bool unchanged = false;  // it already matched the plan: nothing was sent
  ReplaceStrategy strategy = ReplaceStrategy::kFlushAndRefill;  // when replaced
  size_t messages = 0;                                          // object messages in the batch
  size_t bytes = 0;                                             // batch size
};

// Creates (or replaces) the plan's table in one netlink transaction. Asks first whether the
// table exists (one round trip) so a fresh namespace pays for no deletion; an existing table
// that already matches the plan is left alone. On error nothing changed: the previous table,
// if any, is untouched, and the error names the object or rule the kernel refused.
Result<InstallReport> installPlan(const rules::NftPlan& plan, const InstallOptions& opt = {});

// Reads the plan's table back and compares it with what installPlan would create. Returns the
// readable differences (empty = identical); see nft_canonical.h for what is compared.
Result<std::vector<std::string>> verifyPlan(const rules::NftPlan& plan);

// Whether `table inet <table>` exists (one round trip, nothing changed).
Result<bool> tableExists(const std::string& table);

// Deletes `table inet <table>` with everything in it. Returns whether it existed.
Result<bool> removeTable(const std::string& table);

// True when the netfilter netlink socket can be opened (nf_tables is usable here).
bool nftablesAvailable();

}  // namespace kt::backend::nftables
