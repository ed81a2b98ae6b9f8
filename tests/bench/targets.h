// Performance targets checked against benchmark samples (the nftables install within 1.3x of
// a minimal program sending the same batch, ...). A target is a median (ms) or a paired ratio of
// two methods of one group, compared with a limit. Reported, never asserted: bench.sh prints
// whether each target holds on the machine it ran on.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "stats.h"

namespace kt::bench {

struct Target {
  enum class Op { kAtMost, kBelow, kAtLeast };
  std::string group;
  std::string method;
  std::string baseline;  // empty: the method's median itself
  Op op = Op::kAtMost;
  double limit = 0;
};

// The targets `kt-bench targets` checks when none are given, as parseTarget() specs over the
// groups and methods of scripts/bench.sh: base = the base config; p5000 = with 5000 excluded
// outbound ports; n5000 = with 5000 excluded outbound ports and 5000 excluded outbound IPv4
// addresses. nft_ref is kt-nft-ref (nft_reference.c), the least a program can do to install
// the same nftables ruleset; nft_base is our nftables install of the base config, timed in the
// same rounds as the larger one.
const std::vector<std::string>& defaultTargets();

// Display names of bench.sh's methods for the target lines.
const std::map<std::string, std::string>& defaultLabels();

// "GROUP METHOD [/ BASELINE] OP LIMIT", OP one of <= < >=, e.g. "base tproxy_nft / floor <= 2"
// or "n5000 tproxy_nft < 10". kConfig error naming the spec when malformed.
Result<Target> parseTarget(std::string_view spec);

struct TargetResult {
  Target target;
  bool measured = false;  // the group has samples of the method (and baseline)
  double value = 0;       // median (no baseline) or median of per-round ratios
  bool holds = false;
};

// Evaluates `t` on the samples of its group (`byGroup` maps group -> samples).
TargetResult evaluate(const Target& t, const std::map<std::string, std::vector<Sample>>& byGroup);

// One line per target: what, measured value, limit, "holds" / "DOES NOT HOLD" / "not measured".
// `labels` maps method names to display names.
std::string formatTargets(const std::vector<TargetResult>& results,
                          const std::map<std::string, std::string>& labels = {});

}  // namespace kt::bench
