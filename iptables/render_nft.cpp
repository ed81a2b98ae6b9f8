#include "render_nft.h"

#include <string_view>

namespace kt::rules {

namespace {

const char* l4Name(L4 p) {
  return p == L4::kTcp ? "tcp" : "udp";
}

const char* logLevelName(uint8_t level) {
  static const char* const kNames[] = {"emerg", "alert",  "crit", "err",
                                       "warn",  "notice", "info", "debug"};
  return level < 8 ? kNames[level] : "debug";
}

const char* setKeyText(NftSetKey k) {
  switch (k) {
    case NftSetKey::kInetService:
      return "inet_service";
    case NftSetKey::kIpv4Addr:
      return "ipv4_addr";
    case NftSetKey::kIpv6Addr:
      return "ipv6_addr";
    case NftSetKey::kProtoService:
      return "inet_proto . inet_service";
  }
  return "?";
}

// nft prints the standard priority names only where they apply to the hook.
std::string priorityText(const NftBaseChain& b) {
  if (b.priority == -300) return "raw";
  if (b.priority == -150) return "mangle";
  if (b.priority == -100 && b.hook == NftHook::kPrerouting) return "dstnat";
  return std::to_string(b.priority);
}

std::string neg(bool negate) {
  return negate ? "!= " : "";
}

struct StatementText {
  std::string operator()(const nft::MetaNfproto& s) const {
    return std::string("meta nfproto ") + (s.family == Family::kV4 ? "ipv4" : "ipv6");
  }
  std::string operator()(const nft::MetaL4proto& s) const {
    return std::string("meta l4proto ") + l4Name(s.proto);
  }
  std::string operator()(const nft::AddrMatch& s) const {
    std::string out = s.family == Family::kV4 ? "ip " : "ip6 ";
    out += s.source ? "saddr " : "daddr ";
    out += neg(s.negate);
    if (auto* c = std::get_if<Cidr>(&s.value)) return out + renderNftElement(*c);
    return out + "@" + std::get<std::string>(s.value);
  }
  std::string operator()(const nft::PortMatch& s) const {
    std::string out = std::string(l4Name(s.proto)) + (s.source ? " sport " : " dport ");
    out += neg(s.negate);
    if (auto* p = std::get_if<PortRange>(&s.value)) return out + renderNftElement(*p);
    return out + "@" + std::get<std::string>(s.value);
  }
  std::string operator()(const nft::ProtoPortLookup& s) const {
    return "meta l4proto . th dport " + neg(s.negate) + "@" + s.set;
  }
  std::string operator()(const nft::IfaceMatch& s) const {
    return std::string(s.output ? "oifname " : "iifname ") + neg(s.negate) + "\"" + s.name + "\"";
  }
  std::string operator()(const nft::SkuidMatch& s) const {
    return "meta skuid " + neg(s.negate) + s.uids.str();
  }
  std::string operator()(const nft::CtStateInvalid&) const { return "ct state invalid"; }
  std::string operator()(const nft::CtZoneSet& s) const {
    return "ct zone set " + std::to_string(s.zone);
  }
  std::string operator()(const nft::Log& s) const {
    return "log prefix \"" + s.prefix + "\" level " + logLevelName(s.level);
  }
  std::string operator()(const nft::Redirect& s) const {
    return "redirect to :" + std::to_string(s.port);
  }
  std::string operator()(const nft::Verdict& s) const {
    switch (s.kind) {
      case nft::Verdict::Kind::kReturn:
        return "return";
      case nft::Verdict::Kind::kDrop:
        return "drop";
      case nft::Verdict::Kind::kJump:
        return "jump " + s.chain;
    }
    return "?";
  }
};

template <class T>
void appendElements(std::string& out, const std::vector<T>& elems) {
  // Wrapped like `nft list` does, so long exclusion lists stay readable.
  constexpr std::string_view kIndent = "\t\t\t     ";
  constexpr size_t kWidth = 80;
  out += "\t\telements = { ";
  size_t lineLen = 16;
  for (size_t i = 0; i < elems.size(); ++i) {
    std::string e = renderNftElement(elems[i]);
    if (i > 0) {
      if (lineLen + e.size() + 2 > kWidth) {
        out += ",\n";
        out += kIndent;
        lineLen = 16;
      } else {
        out += ", ";
        lineLen += 2;
      }
    }
    out += e;
    lineLen += e.size();
  }
  out += " }\n";
}

void renderSet(std::string& out, const NftSet& s) {
  out += "\tset " + s.name + " {\n";
  out += std::string("\t\ttype ") + setKeyText(s.key) + "\n";
  if (s.interval) {
    out += "\t\tflags interval\n";
  } else {
    out += "\t\tsize " + std::to_string(s.size()) + "\n";
  }
  if (!s.ports.empty()) appendElements(out, s.ports);
  if (!s.cidrs.empty()) appendElements(out, s.cidrs);
  if (!s.protoPorts.empty()) appendElements(out, s.protoPorts);
  out += "\t}\n";
}

void renderChain(std::string& out, const NftChain& c) {
  out += "\tchain " + c.name + " {\n";
  if (c.base) {
    out += std::string("\t\ttype ") + (c.base->type == NftChainType::kNat ? "nat" : "filter");
    out += std::string(" hook ") + (c.base->hook == NftHook::kPrerouting ? "prerouting" : "output");
    out += " priority " + priorityText(*c.base) + "; policy accept;\n";
  }
  for (const auto& r : c.rules) {
    out += "\t\t" + renderNftRule(r);
    if (!r.comment.empty()) out += " comment \"" + r.comment + "\"";
    out += "\n";
  }
  out += "\t}\n";
}

}  // namespace

std::string renderNftElement(const Cidr& c) {
  return c.isHost() ? c.addr.str() : c.str();
}

std::string renderNftElement(const PortRange& p) {
  return p.str();
}

std::string renderNftElement(const ProtoPorts& p) {
  return std::string(l4Name(p.proto)) + " . " + p.ports.str();
}

std::string renderNftRule(const NftRule& rule) {
  std::string out;
  for (const auto& st : rule.statements) {
    if (!out.empty()) out += ' ';
    out += std::visit(StatementText{}, st);
  }
  return out;
}

std::string renderNftPlan(const NftPlan& plan, bool replaceExisting) {
  std::string out;
  std::string table = "table inet " + plan.table;
  if (replaceExisting) {
    // Declaring the table first makes the delete succeed when it does not exist yet; the
    // whole file is one transaction, so the old table is replaced atomically.
    out += table + "\n";
    out += "delete " + table + "\n";
  }
  out += table + " {\n";
  bool first = true;
  auto separate = [&] {
    if (!first) out += "\n";
    first = false;
  };
  for (const auto& s : plan.sets) {
    separate();
    renderSet(out, s);
  }
  for (const auto& c : plan.chains) {
    separate();
    renderChain(out, c);
  }
  out += "}\n";
  return out;
}

std::string renderNft(const Model& m, const NftOptions& opt) {
  return renderNftPlan(lowerToNft(m, NftLowerOptions{opt.comments}), opt.replaceExisting);
}

}  // namespace kt::rules
