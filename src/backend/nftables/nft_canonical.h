// A canonical, readable form of one nftables table, for verify(): the objects install would
// send and the objects dumped from the kernel are both reduced to it and compared.
//
// What is compared: the table's presence; per set its key type, key length, flags and the
// elements as intervals ("22", "10.0.0.0/8", "tcp . 1000-2000"), however the kernel encodes
// them; per chain its base-chain definition and its rules in order, each as the expression
// list libnftnl prints plus the rule comment. What is not: handles, counters, use counts,
// set ids and other bookkeeping the kernel adds.
#pragma once

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "backend/nftables/nft_key.h"

namespace kt::backend::nftables {

struct CanonicalRule {
  std::string key;  // expressions + comment: what is compared
  // What a diff prints: the nft text (given, or for a kernel rule lifted from its expressions,
  // nft_lift.h) plus the comment; `key` only for expressions no plan statement builds.
  std::string display;
};

struct CanonicalTable {
  bool present = false;
  struct RawElement {
    Key key, keyEnd;  // keyEnd.len == 0 unless the set is a concatenation
    bool intervalEnd = false;
  };
  struct Set {
    std::string def;  // "type inet_service, key length 2, flags 0x4"
    // Sorted intervals (after finishSets); printed as nft does only when they differ.
    std::vector<std::pair<Key, Key>> elements;
    uint32_t keyType = 0;
    uint32_t flags = 0;
    std::vector<RawElement> raw;  // collected by addSetElements, consumed by finishSets
  };
  struct Chain {
    std::string def;  // "" for a regular chain, "type nat hook output priority -100 ..."
    std::vector<CanonicalRule> rules;
  };
  std::map<std::string, Set> sets;
  std::map<std::string, Chain> chains;
};

// Builders: add objects one by one. Element holders are nftnl_set objects carrying elements
// (a dump, or the chunks install sends); `text` is the rule's nft text when known.
void addSet(CanonicalTable& t, const nftnl_set* def);
void addSetElements(CanonicalTable& t, const std::string& set, nftnl_set* holder);
void addChain(CanonicalTable& t, const nftnl_chain* c);
void addRule(CanonicalTable& t, const nftnl_rule* r, const std::string& text = {});

// Call after all elements were added: turns the collected elements into sorted intervals.
void finishSets(CanonicalTable& t);

// Readable differences, empty when equal: "- missing: ..." for what `expected` has and
// `actual` lacks, "+ unexpected: ..." for the reverse. Rules are compared as ordered lists
// per chain (a longest-common-subsequence diff), set elements as sets.
std::vector<std::string> diffTables(const std::string& table, const CanonicalTable& expected,
                                    const CanonicalTable& actual);

}  // namespace kt::backend::nftables
