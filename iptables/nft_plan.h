// The nftables form of the rule model: one `table inet kuma_mesh` as plain data.
//
// lowerToNft() turns a Model into an NftPlan; render_nft.h prints it as an `nft -f` script and
// src/backend/nftables turns the same plan into libnftnl objects, so the dry-run text and the
// netlink batch cannot disagree. Pure code, no kernel I/O.
//
// Statements are listed in the order they are printed and evaluated. Like nft, a consumer
// adds the implicit protocol dependencies itself: an `ip`/`ip6` address match needs the packet
// family (`meta nfproto`) and a `tcp`/`udp` port match needs the transport protocol
// (`meta l4proto`), unless an earlier statement of the rule already checked it. Explicit
// MetaNfproto / MetaL4proto statements appear only where nothing else implies them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/net.h"
#include "model.h"

namespace kt::rules {

inline constexpr const char* kNftTable = "kuma_mesh";

// Key types of our named sets. The set type follows what the kernel does fastest with the
// list, measured on 5000-element sets:
// - a port list of single ports is an `inet_proto . inet_service` hash set (`tcp . 443`): an
//   8-byte key, so the kernel picks its hash backend. A plain inet_service set without
//   intervals would get the bitmap backend, which walks all its elements on every insert
//   (quadratic load time);
// - a port list with a range keeps `type inet_service; flags interval` (rbtree): a
//   concatenation with intervals uses the pipapo backend, which loads about 5x slower;
// - an address list of single addresses is a hash set, with a real prefix an interval set
//   (rbtree, twice the kernel's work per element of a hash set);
// - the ports of two merged protocol rules are a concatenation, with `flags interval` (pipapo)
//   only when one of them is a range.
// A hash set declares its size (`size N`, its element count): the kernel then allocates a
// fixed hash table once instead of a resizable one that rehashes as the elements arrive (5000
// ports + 5000 addresses loaded in 0.73x the time). The set then holds at most that many
// elements (the kernel refuses one more with ENFILE); install always creates its sets anew.
enum class NftSetKey {
  kInetService,   // type inet_service (always with flags interval)
  kIpv4Addr,      // type ipv4_addr
  kIpv6Addr,      // type ipv6_addr
  kProtoService,  // type inet_proto . inet_service
};

struct ProtoPorts {
  L4 proto;
  PortRange ports;
  auto operator<=>(const ProtoPorts&) const = default;
};

struct NftSet {
  std::string name;
  NftSetKey key;
  // Exactly one of these is used, by key type; each is sorted and free of overlaps.
  std::vector<PortRange> ports;        // kInetService
  std::vector<Cidr> cidrs;             // kIpv4Addr, kIpv6Addr
  std::vector<ProtoPorts> protoPorts;  // kProtoService
  // `flags interval`: the elements may be ranges or prefixes. Without it every element is a
  // single key (a port, a host address, a protocol . port pair) and the set is a hash set of
  // size() elements (`size N`).
  bool interval = true;
  size_t size() const { return ports.size() + cidrs.size() + protoPorts.size(); }
  bool operator==(const NftSet&) const = default;
};

namespace nft {

struct MetaNfproto {  // meta nfproto ipv4|ipv6
  Family family;
  bool operator==(const MetaNfproto&) const = default;
};
struct MetaL4proto {  // meta l4proto tcp|udp
  L4 proto;
  bool operator==(const MetaL4proto&) const = default;
};
// ip|ip6 saddr|daddr [!=] ADDR | PREFIX | @set
struct AddrMatch {
  Family family;
  bool source = false;
  std::variant<Cidr, std::string> value;  // a prefix or a set name
  bool negate = false;
  bool operator==(const AddrMatch&) const = default;
};
// tcp|udp sport|dport [!=] PORT | FIRST-LAST | @set
struct PortMatch {
  L4 proto;
  bool source = false;
  std::variant<PortRange, std::string> value;  // a port or range, or a set name
  bool negate = false;
  bool operator==(const PortMatch&) const = default;
};
// meta l4proto . th dport [!=] @set (a kProtoService set)
struct ProtoPortLookup {
  std::string set;
  bool negate = false;
  // The set has `flags interval`. It changes the bytecode: nft converts the protocol to big
  // endian (a one-byte, no-op byteorder) only for an interval set.
  bool interval = false;
  bool operator==(const ProtoPortLookup&) const = default;
};
// iifname|oifname [!=] "NAME"
struct IfaceMatch {
  bool output = false;
  std::string name;
  bool negate = false;
  bool operator==(const IfaceMatch&) const = default;
};
// meta skuid [!=] UID | FIRST-LAST
struct SkuidMatch {
  UidRange uids;
  bool negate = false;
  bool operator==(const SkuidMatch&) const = default;
};
struct CtStateInvalid {  // ct state invalid
  bool operator==(const CtStateInvalid&) const = default;
};
struct CtZoneSet {  // ct zone set N
  uint16_t zone;
  bool operator==(const CtZoneSet&) const = default;
};
struct Log {  // log prefix "P" level L (syslog level 0-7)
  std::string prefix;
  uint8_t level = 7;
  bool operator==(const Log&) const = default;
};
struct Redirect {  // redirect to :PORT (needs a transport protocol match before it)
  uint16_t port;
  bool operator==(const Redirect&) const = default;
};
struct Verdict {  // return | drop | jump CHAIN
  enum class Kind { kReturn, kDrop, kJump } kind = Kind::kReturn;
  std::string chain;  // kJump only
  bool operator==(const Verdict&) const = default;
};

using Statement =
    std::variant<MetaNfproto, MetaL4proto, AddrMatch, PortMatch, ProtoPortLookup, IfaceMatch,
                 SkuidMatch, CtStateInvalid, CtZoneSet, Log, Redirect, Verdict>;

}  // namespace nft

struct NftRule {
  std::vector<nft::Statement> statements;
  std::string tag;      // the model rule's tag (for error messages)
  std::string comment;  // kCommentPrefix + tag; empty when comments are off
  bool operator==(const NftRule&) const = default;
};

enum class NftChainType { kFilter, kNat };
enum class NftHook { kPrerouting, kOutput };

struct NftBaseChain {
  NftChainType type;
  NftHook hook;
  int32_t priority;  // raw -300, mangle -150, dstnat -100
  bool operator==(const NftBaseChain&) const = default;
};

struct NftChain {
  std::string name;
  std::optional<NftBaseChain> base;  // nullopt = a regular chain, reached by jumps
  std::vector<NftRule> rules;
  bool operator==(const NftChain&) const = default;
};

struct NftPlan {
  std::string table = kNftTable;  // always family inet
  std::vector<NftSet> sets;       // in creation (and printing) order
  // Base chains first (raw, nat, mangle), then ours; every chain a jump names is present.
  std::vector<NftChain> chains;
  bool operator==(const NftPlan&) const = default;

  const NftSet* findSet(const std::string& name) const;
  const NftChain* findChain(const std::string& name) const;
  size_t ruleCount() const;
};

struct NftLowerOptions {
  bool comments = true;
};

// Lowers the model. Per rule: address lists split per family into `ip` and `ip6` rules (IPv4
// first); a rule that applies to one family only gets `meta nfproto`; when the model has one
// family only, every rule of a base chain is limited to it; a port or address list with more
// than one element becomes a named set of the type NftSetKey describes (a destination port
// list of single ports a `meta l4proto . th dport` lookup of its protocol); adjacent rules that
// differ only in their transport protocol and match destination ports (the uid port
// exclusions) merge into one `meta l4proto . th dport` lookup in an inet_proto . inet_service
// set. CT zone rules end with
// `return` (iptables' CT target only acts on the first match; nft's `ct zone set` would let a
// later rule overwrite the zone), and JumpForeign becomes `return` (another table's chain is
// reached by letting the packet continue there). Set and chain names are deterministic.
//
// One known difference from iptables: `! --uid-owner` also matches packets without a socket,
// `meta skuid !=` does not match them. Our negated uid matches sit in nat OUTPUT, which sees
// only the first packet of a new connection, and locally generated first packets always have
// a socket, so the rules behave the same.
NftPlan lowerToNft(const Model& m, const NftLowerOptions& opt = {});

// The nft chain name of a model chain: "raw_prerouting", ..., "KUMA_MESH_INBOUND".
const char* nftChainName(ChainId c);

}  // namespace kt::rules
