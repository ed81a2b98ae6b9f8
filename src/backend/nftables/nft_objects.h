// NftPlan -> libnftnl objects (table, chains, sets with their elements, rules with expressions).
//
// Pure: nothing here talks to the kernel. The objects are exactly what `nft -f` sends for the
// text renderNftPlan() prints (same expressions, registers, data lengths, set flags and user
// data), so that `nft list table inet kuma_mesh` cannot tell our batch from nft's. Two
// attributes nft leaves to the kernel's default are sent explicitly (lookup flags 0, redirect
// proto max = min), so the kernel's dump reads back exactly what we sent: verify() compares
// that dump with these same objects.
#pragma once

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "iptables/nft_plan.h"

namespace kt::backend::nftables {

struct NftnlFree {
  void operator()(nftnl_table* p) const { nftnl_table_free(p); }
  void operator()(nftnl_chain* p) const { nftnl_chain_free(p); }
  void operator()(nftnl_set* p) const { nftnl_set_free(p); }
  void operator()(nftnl_rule* p) const { nftnl_rule_free(p); }
};
using TablePtr = std::unique_ptr<nftnl_table, NftnlFree>;
using ChainPtr = std::unique_ptr<nftnl_chain, NftnlFree>;
using SetPtr = std::unique_ptr<nftnl_set, NftnlFree>;
using RulePtr = std::unique_ptr<nftnl_rule, NftnlFree>;

struct SetObject {
  SetPtr set;  // the definition, without elements
  // The elements, split into chunks that each fit one netlink message (an attribute nest
  // holds at most 64 KiB). Each chunk is an nftnl_set naming the set, holding elements only.
  std::vector<SetPtr> elementChunks;
  std::string name;
  size_t elementCount = 0;  // plan elements (intervals), for messages
};

struct RuleObject {
  RulePtr rule;
  std::string chain;
  size_t index = 0;                        // position in its chain, from 0
  const rules::NftRule* source = nullptr;  // the plan's rule (the plan outlives the objects)

  // The rule's nft text (renderNftRule), for error messages and differences: rendered only
  // when asked, since a successful install never shows it.
  std::string text() const;
  const std::string& tag() const { return source->tag; }
};

struct NftObjects {
  TablePtr table;
  std::vector<ChainPtr> chains;   // plan order
  std::vector<SetObject> sets;    // plan order
  std::vector<RuleObject> rules;  // chain by chain, in order
};

// Builds every object of the plan. Fails (kRuntime) only when the plan is inconsistent (a
// statement names a set the plan lacks) or an allocation fails. The objects refer to the plan's
// rules: `plan` must outlive them.
Result<NftObjects> buildObjects(const rules::NftPlan& plan);

// A rule object holding only `rule`'s expressions (no table, chain or comment), built exactly as
// buildObjects() builds them: for comparing a candidate (nft_lift.h) with a kernel rule.
Result<RulePtr> ruleExpressions(const rules::NftRule& rule);

// A table object naming `table` (family inet) with no attributes beyond the name, for delete
// and get requests.
TablePtr tableRef(const std::string& table);

}  // namespace kt::backend::nftables
