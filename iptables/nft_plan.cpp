#include "nft_plan.h"

#include <algorithm>
#include <map>

namespace kt::rules {

namespace {

// Netfilter hook priorities of the iptables tables we stand in for.
constexpr int32_t kPrioRaw = -300;     // NF_IP_PRI_RAW: before conntrack (-200)
constexpr int32_t kPrioMangle = -150;  // NF_IP_PRI_MANGLE
constexpr int32_t kPrioDstNat = -100;  // NF_IP_PRI_NAT_DST

// nft comments are limited to 128 bytes including the terminating NUL.
constexpr size_t kMaxComment = 127;

std::optional<NftBaseChain> baseChainOf(ChainId c) {
  switch (c) {
    case ChainId::kRawPrerouting:
      return NftBaseChain{NftChainType::kFilter, NftHook::kPrerouting, kPrioRaw};
    case ChainId::kRawOutput:
      return NftBaseChain{NftChainType::kFilter, NftHook::kOutput, kPrioRaw};
    case ChainId::kNatPrerouting:
      return NftBaseChain{NftChainType::kNat, NftHook::kPrerouting, kPrioDstNat};
    case ChainId::kNatOutput:
      return NftBaseChain{NftChainType::kNat, NftHook::kOutput, kPrioDstNat};
    case ChainId::kManglePrerouting:
      return NftBaseChain{NftChainType::kFilter, NftHook::kPrerouting, kPrioMangle};
    default:
      return std::nullopt;
  }
}

// "output/exclude-ports-for-uids" -> "output_exclude_ports_for_uids".
std::string slug(const std::string& tag) {
  std::string out;
  for (char ch : tag) {
    bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    out += keep ? ch : '_';
  }
  return out.empty() ? "rule" : out;
}

bool hasRange(const std::vector<PortRange>& ports) {
  return std::any_of(ports.begin(), ports.end(), [](const PortRange& p) { return !p.single(); });
}

// Two adjacent rules that differ only in the transport protocol and match destination ports
// are one `meta l4proto . th dport` lookup. Negated port lists do not merge: "not in A and not
// in B" is not "not in A x B".
bool mergeableByProtocol(const Rule& a, const Rule& b) {
  if (!a.proto || !b.proto || *a.proto == *b.proto) return false;
  if (!a.dport || a.dport->negate || a.sport) return false;
  Rule bb = b;
  bb.proto = a.proto;
  return a == bb;
}

class Lowering {
 public:
  Lowering(const Model& m, const NftLowerOptions& opt) : model_(m), opt_(opt) {}

  NftPlan run() {
    for (const auto& chain : model_.chains) {
      NftChain out;
      out.name = nftChainName(chain.id);
      out.base = baseChainOf(chain.id);
      const auto& rules = chain.rules;
      for (size_t i = 0; i < rules.size(); ++i) {
        std::vector<L4> protos;
        if (i + 1 < rules.size() && mergeableByProtocol(rules[i], rules[i + 1])) {
          protos = {*rules[i].proto, *rules[i + 1].proto};
        }
        lowerRule(rules[i], out.base.has_value(), protos, out.rules);
        if (!protos.empty()) ++i;
      }
      plan_.chains.push_back(std::move(out));
    }
    return std::move(plan_);
  }

 private:
  bool enabled(Family f) const { return f == Family::kV4 ? model_.ipv4 : model_.ipv6; }

  // The only family of the model, when it has exactly one.
  std::optional<Family> singleFamily() const {
    if (model_.ipv4 && !model_.ipv6) return Family::kV4;
    if (model_.ipv6 && !model_.ipv4) return Family::kV6;
    return std::nullopt;
  }

  void lowerRule(const Rule& r, bool inBaseChain, const std::vector<L4>& mergedProtos,
                 std::vector<NftRule>& out) {
    if (r.src || r.dst) {
      // Address lists split per family; the ip/ip6 match itself implies the family.
      for (Family f : {Family::kV4, Family::kV6}) {
        if (enabled(f) && appliesTo(r, f)) out.push_back(lowerFor(r, f, false, mergedProtos));
      }
      return;
    }
    if (r.family) {
      if (enabled(*r.family)) out.push_back(lowerFor(r, *r.family, true, mergedProtos));
      return;
    }
    // A family-neutral rule. The inet table sees both families, so with one family disabled
    // the entry points (base chains) must keep the other family's packets out; our regular
    // chains are reached only from there.
    auto single = singleFamily();
    if (inBaseChain && single) {
      out.push_back(lowerFor(r, *single, true, mergedProtos));
    } else {
      out.push_back(lowerFor(r, std::nullopt, false, mergedProtos));
    }
  }

  NftRule lowerFor(const Rule& r, std::optional<Family> fam, bool explicitFamily,
                   const std::vector<L4>& mergedProtos) {
    NftRule nr;
    nr.tag = r.tag;
    if (opt_.comments) nr.comment = (kCommentPrefix + r.tag).substr(0, kMaxComment);
    auto& st = nr.statements;
    if (explicitFamily) st.push_back(nft::MetaNfproto{*fam});
    if (r.src) addAddr(nr, *r.src, *fam, true);
    if (r.dst) addAddr(nr, *r.dst, *fam, false);
    if (!mergedProtos.empty()) {
      NftSet set;
      set.key = NftSetKey::kProtoService;
      set.interval = hasRange(r.dport->ports);
      for (L4 p : mergedProtos)
        for (const auto& pr : r.dport->ports)
          set.protoPorts.push_back(ProtoPorts{p, pr});
      std::sort(set.protoPorts.begin(), set.protoPorts.end());
      bool interval = set.interval;
      st.push_back(nft::ProtoPortLookup{addSet(std::move(set), r.tag, "l4dport"), false, interval});
    } else if (r.proto) {
      if (r.sport) addPorts(nr, *r.proto, *r.sport, true);
      if (r.dport) addPorts(nr, *r.proto, *r.dport, false);
      if (!r.sport && !r.dport) st.push_back(nft::MetaL4proto{*r.proto});
    }
    if (r.inIface) st.push_back(nft::IfaceMatch{false, r.inIface->name, r.inIface->negate});
    if (r.outIface) st.push_back(nft::IfaceMatch{true, r.outIface->name, r.outIface->negate});
    if (r.uid) st.push_back(nft::SkuidMatch{r.uid->uids, r.uid->negate});
    if (r.ctStateInvalid) st.push_back(nft::CtStateInvalid{});
    addAction(nr, r.action);
    return nr;
  }

  void addAddr(NftRule& nr, const AddrMatch& m, Family f, bool source) {
    auto cidrs = cidrsOf(m, f);
    nft::AddrMatch a{f, source, {}, m.negate};
    if (cidrs.size() == 1) {
      a.value = cidrs.front();
    } else {
      NftSet set;
      set.key = f == Family::kV4 ? NftSetKey::kIpv4Addr : NftSetKey::kIpv6Addr;
      set.interval =
          std::any_of(cidrs.begin(), cidrs.end(), [](const Cidr& c) { return !c.isHost(); });
      set.cidrs = cidrs;
      std::string field = std::string(source ? "saddr" : "daddr") + (f == Family::kV4 ? "4" : "6");
      a.value = addSet(std::move(set), nr.tag, field);
    }
    nr.statements.push_back(std::move(a));
  }

  void addPorts(NftRule& nr, L4 proto, const PortMatch& m, bool source) {
    nft::PortMatch p{proto, source, {}, m.negate};
    if (m.ports.size() == 1) {
      p.value = m.ports.front();
    } else if (!source && !m.negate && !hasRange(m.ports)) {
      // Single destination ports: a hash set keyed by protocol . port. (Negated, it would
      // also match every other protocol, hence only for positive matches.)
      NftSet set;
      set.key = NftSetKey::kProtoService;
      set.interval = false;
      set.protoPorts.reserve(m.ports.size());
      for (const auto& pr : m.ports)
        set.protoPorts.push_back(ProtoPorts{proto, pr});
      nr.statements.push_back(nft::ProtoPortLookup{addSet(std::move(set), nr.tag, "dport")});
      return;
    } else {
      NftSet set;
      set.key = NftSetKey::kInetService;
      set.ports = m.ports;
      p.value = addSet(std::move(set), nr.tag, source ? "sport" : "dport");
    }
    nr.statements.push_back(std::move(p));
  }

  void addAction(NftRule& nr, const Action& action) {
    using nft::Verdict;
    auto& st = nr.statements;
    std::visit(
        [&](const auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, action::Return> ||
                        std::is_same_v<T, action::JumpForeign>) {
            st.push_back(Verdict{Verdict::Kind::kReturn, {}});
          } else if constexpr (std::is_same_v<T, action::Jump>) {
            st.push_back(Verdict{Verdict::Kind::kJump, nftChainName(a.chain)});
          } else if constexpr (std::is_same_v<T, action::Redirect>) {
            st.push_back(nft::Redirect{a.port});
          } else if constexpr (std::is_same_v<T, action::CtZone>) {
            st.push_back(nft::CtZoneSet{a.zone});
            st.push_back(Verdict{Verdict::Kind::kReturn, {}});
          } else if constexpr (std::is_same_v<T, action::Log>) {
            st.push_back(nft::Log{a.prefix, a.level});
          } else if constexpr (std::is_same_v<T, action::Drop>) {
            st.push_back(Verdict{Verdict::Kind::kDrop, {}});
          }
        },
        action);
  }

  // Names the set "<tag slug>_<field>", with "_2", "_3", ... when the name is taken, and
  // returns the name.
  std::string addSet(NftSet set, const std::string& tag, const std::string& field) {
    std::string base = slug(tag) + "_" + field;
    int n = ++nameUses_[base];
    set.name = n == 1 ? base : base + "_" + std::to_string(n);
    plan_.sets.push_back(std::move(set));
    return plan_.sets.back().name;
  }

  const Model& model_;
  const NftLowerOptions& opt_;
  NftPlan plan_;
  std::map<std::string, int> nameUses_;
};

}  // namespace

const char* nftChainName(ChainId c) {
  switch (c) {
    case ChainId::kRawPrerouting:
      return "raw_prerouting";
    case ChainId::kRawOutput:
      return "raw_output";
    case ChainId::kNatPrerouting:
      return "nat_prerouting";
    case ChainId::kNatOutput:
      return "nat_output";
    case ChainId::kManglePrerouting:
      return "mangle_prerouting";
    default:
      return iptablesChainName(c);
  }
}

const NftSet* NftPlan::findSet(const std::string& name) const {
  for (const auto& s : sets)
    if (s.name == name) return &s;
  return nullptr;
}

const NftChain* NftPlan::findChain(const std::string& name) const {
  for (const auto& c : chains)
    if (c.name == name) return &c;
  return nullptr;
}

size_t NftPlan::ruleCount() const {
  size_t n = 0;
  for (const auto& c : chains)
    n += c.rules.size();
  return n;
}

NftPlan lowerToNft(const Model& m, const NftLowerOptions& opt) {
  return Lowering(m, opt).run();
}

}  // namespace kt::rules
