// The inverse of the rule part of nft_objects.h: a rule read back from the kernel, as the plan
// statements buildObjects() would emit it from. How verify prints a rule of the kernel that the
// plan does not have in nft syntax ("tcp dport 8080 redirect to :15001") instead of as libnftnl
// expressions.
#pragma once

#include <libnftnl/rule.h>

#include <optional>

#include "iptables/nft_plan.h"

namespace kt::backend::nftables {

// The statements (no comment or tag) whose expressions are `r`'s, or nullopt when `r` holds an
// expression sequence buildObjects() never emits. Only a candidate: the caller confirms it by
// building the statements again (ruleExpressions) and comparing the expressions.
std::optional<rules::NftRule> liftRule(const nftnl_rule* r);

}  // namespace kt::backend::nftables
