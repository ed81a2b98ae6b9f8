// The backend-neutral rule model: what to intercept, as chains of match -> action rules.
//
// build() (builder.h) turns Config + Facts into a Model; the renderers turn one Model into
// iptables-restore input per family (render_iptables.h), an `nft -f` script (render_nft.h) and,
// in src/backend/nftables, libnftnl objects. The model is the single source of truth: nothing
// else decides which rule exists or in which order.
//
// A rule applies to both families unless `family` is set. Address lists may mix families: a
// renderer keeps, per family, the addresses of that family, and drops the rule for a family
// that has none (a rule with an address match never turns into a match-all).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/net.h"

namespace kt::rules {

// Every rule comment both renderers write starts with this (followed by the rule's tag).
inline constexpr const char* kCommentPrefix = "kuma/mesh/transparent/proxy/";

enum class Table { kRaw, kNat, kMangle };

// Every chain we put rules in. Built-in chains are netfilter hooks; the others are ours.
enum class ChainId {
  kRawPrerouting,
  kRawOutput,
  kNatPrerouting,
  kNatOutput,
  kManglePrerouting,
  kInbound,           // KUMA_MESH_INBOUND
  kOutbound,          // KUMA_MESH_OUTBOUND
  kInboundRedirect,   // KUMA_MESH_INBOUND_REDIRECT
  kOutboundRedirect,  // KUMA_MESH_OUTBOUND_REDIRECT
};

Table tableOf(ChainId c);
bool isBuiltin(ChainId c);
const char* tableName(Table t);            // "raw", "nat", "mangle"
const char* iptablesChainName(ChainId c);  // "PREROUTING", ..., "KUMA_MESH_INBOUND"

enum class L4 { kTcp, kUdp };

struct PortMatch {
  std::vector<PortRange> ports;  // normalized, non-empty
  bool negate = false;
  bool operator==(const PortMatch&) const = default;
};

struct AddrMatch {
  std::vector<Cidr> cidrs;  // non-empty; may mix families (see file comment)
  bool negate = false;
  bool operator==(const AddrMatch&) const = default;
};

struct IfaceMatch {
  std::string name;
  bool negate = false;
  bool operator==(const IfaceMatch&) const = default;
};

struct UidMatch {
  UidRange uids;
  bool negate = false;
  bool operator==(const UidMatch&) const = default;
};

namespace action {
struct Return {
  bool operator==(const Return&) const = default;
};
struct Jump {
  ChainId chain;
  bool operator==(const Jump&) const = default;
};
// Jump to a chain we do not own (Docker's DOCKER_OUTPUT). Backends that cannot reach it
// (nftables: another table) treat it as Return, which lets the packet go on to that table.
struct JumpForeign {
  std::string chain;
  bool operator==(const JumpForeign&) const = default;
};
struct Redirect {
  uint16_t port;
  bool operator==(const Redirect&) const = default;
};
struct CtZone {
  uint16_t zone;
  bool operator==(const CtZone&) const = default;
};
struct Log {
  std::string prefix;
  uint8_t level = 7;
  bool operator==(const Log&) const = default;
};
struct Drop {
  bool operator==(const Drop&) const = default;
};
}  // namespace action

using Action = std::variant<action::Return, action::Jump, action::JumpForeign, action::Redirect,
                            action::CtZone, action::Log, action::Drop>;

struct Rule {
  std::optional<Family> family;  // nullopt = both families
  std::optional<L4> proto;
  std::optional<PortMatch> dport;  // requires proto
  std::optional<PortMatch> sport;  // requires proto
  std::optional<AddrMatch> src;
  std::optional<AddrMatch> dst;
  std::optional<IfaceMatch> inIface;
  std::optional<IfaceMatch> outIface;
  std::optional<UidMatch> uid;
  bool ctStateInvalid = false;
  Action action;
  // Stable slug naming the rule's purpose, e.g. "outbound/exclude-ports". Renderers use it for
  // comments ("kuma/mesh/transparent/proxy/" + tag) and nftables set names.
  std::string tag;
  // Built-in chains only: insert at the top (iptables -I with an explicit position) instead of
  // appending, so the rule runs before rules that other software appended.
  bool insert = false;
  bool operator==(const Rule&) const = default;
};

struct Chain {
  ChainId id;
  std::vector<Rule> rules;
  bool operator==(const Chain&) const = default;
};

struct Model {
  bool ipv4 = true;
  bool ipv6 = true;
  // Chains in rendering order: raw, nat, mangle built-ins, then our chains. Our four nat
  // chains are always present (Kuma creates the redirect chains even when unused).
  std::vector<Chain> chains;
  bool operator==(const Model&) const = default;

  const Chain* find(ChainId id) const;
  size_t ruleCount() const;
};

// True when `rule` renders to at least one rule for `f` (family tag and address lists agree).
bool appliesTo(const Rule& rule, Family f);
// The addresses of `m` that belong to family f.
std::vector<Cidr> cidrsOf(const AddrMatch& m, Family f);

}  // namespace kt::rules
