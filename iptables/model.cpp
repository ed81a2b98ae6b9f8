#include "model.h"

namespace kt::rules {

Table tableOf(ChainId c) {
  switch (c) {
    case ChainId::kRawPrerouting:
    case ChainId::kRawOutput:
      return Table::kRaw;
    case ChainId::kManglePrerouting:
      return Table::kMangle;
    default:
      return Table::kNat;
  }
}

bool isBuiltin(ChainId c) {
  switch (c) {
    case ChainId::kRawPrerouting:
    case ChainId::kRawOutput:
    case ChainId::kNatPrerouting:
    case ChainId::kNatOutput:
    case ChainId::kManglePrerouting:
      return true;
    default:
      return false;
  }
}

const char* tableName(Table t) {
  switch (t) {
    case Table::kRaw:
      return "raw";
    case Table::kNat:
      return "nat";
    case Table::kMangle:
      return "mangle";
  }
  return "?";
}

const char* iptablesChainName(ChainId c) {
  switch (c) {
    case ChainId::kRawPrerouting:
    case ChainId::kNatPrerouting:
    case ChainId::kManglePrerouting:
      return "PREROUTING";
    case ChainId::kRawOutput:
    case ChainId::kNatOutput:
      return "OUTPUT";
    case ChainId::kInbound:
      return "KUMA_MESH_INBOUND";
    case ChainId::kOutbound:
      return "KUMA_MESH_OUTBOUND";
    case ChainId::kInboundRedirect:
      return "KUMA_MESH_INBOUND_REDIRECT";
    case ChainId::kOutboundRedirect:
      return "KUMA_MESH_OUTBOUND_REDIRECT";
  }
  return "?";
}

const Chain* Model::find(ChainId id) const {
  for (const auto& c : chains)
    if (c.id == id) return &c;
  return nullptr;
}

size_t Model::ruleCount() const {
  size_t n = 0;
  for (const auto& c : chains)
    n += c.rules.size();
  return n;
}

std::vector<Cidr> cidrsOf(const AddrMatch& m, Family f) {
  std::vector<Cidr> out;
  for (const auto& c : m.cidrs)
    if (c.family() == f) out.push_back(c);
  return out;
}

bool appliesTo(const Rule& rule, Family f) {
  if (rule.family && *rule.family != f) return false;
  if (rule.src && cidrsOf(*rule.src, f).empty()) return false;
  if (rule.dst && cidrsOf(*rule.dst, f).empty()) return false;
  return true;
}

}  // namespace kt::rules
