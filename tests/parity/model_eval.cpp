#include "model_eval.h"

#include <algorithm>

namespace kt::parity {

namespace {

using rules::ChainId;
using rules::Rule;

bool addrMatches(const rules::AddrMatch& m, const IpAddress& a) {
  auto cidrs = rules::cidrsOf(m, a.family);
  bool in = std::any_of(cidrs.begin(), cidrs.end(), [&](const Cidr& c) { return inCidr(c, a); });
  return in != m.negate;
}

bool portMatches(const rules::PortMatch& m, uint16_t port) {
  bool in = std::any_of(m.ports.begin(), m.ports.end(),
                        [&](const PortRange& r) { return r.first <= port && port <= r.last; });
  return in != m.negate;
}

// Whether `r` matches `p`; `error` is set for a match this packet cannot be tested against.
bool matches(const Rule& r, const Packet& p, std::string& error) {
  bool outbound = p.direction == Direction::kOutbound;
  if (!rules::appliesTo(r, p.family())) return false;
  if (r.ctStateInvalid) return false;  // a new connection's first packet is never INVALID
  if (r.proto) {
    bool tcp = *r.proto == rules::L4::kTcp;
    if (tcp != (p.proto == Proto::kTcp)) return false;
  } else if (r.dport || r.sport) {
    error = "rule " + r.tag + " matches ports without a protocol";
    return false;
  }
  if (r.dport && !portMatches(*r.dport, p.dport)) return false;
  if (r.sport && !portMatches(*r.sport, p.sport)) return false;
  if (r.src && !addrMatches(*r.src, p.src)) return false;
  if (r.dst && !addrMatches(*r.dst, p.dst)) return false;
  if (r.inIface) {
    if (outbound) {
      error = "rule " + r.tag + " matches an input interface on a locally generated packet";
      return false;
    }
    if ((r.inIface->name == p.iface) == r.inIface->negate) return false;
  }
  if (r.outIface) {
    if (!outbound) {
      error = "rule " + r.tag + " matches an output interface before routing";
      return false;
    }
    if ((r.outIface->name == p.iface) == r.outIface->negate) return false;
  }
  if (r.uid) {
    if (!outbound) {
      error = "rule " + r.tag + " matches the socket owner of an arriving packet";
      return false;
    }
    bool in = r.uid->uids.first <= p.uid && p.uid <= r.uid->uids.last;
    if (in == r.uid->negate) return false;
  }
  return true;
}

// The walk through one chain: a final verdict, or "returned" (the caller goes on).
struct Walk {
  bool final = false;
  ModelResult result;
};

constexpr int kMaxDepth = 8;  // our chains jump at most two levels deep

Walk walk(const rules::Model& m, ChainId id, const Packet& p, int depth) {
  Walk w;
  if (depth > kMaxDepth) {
    w.final = true;
    w.result.error = "jumps nest deeper than " + std::to_string(kMaxDepth) + " chains";
    return w;
  }
  const rules::Chain* chain = m.find(id);
  if (!chain) return w;  // a built-in chain without rules of ours
  for (const Rule& r : chain->rules) {
    std::string error;
    bool hit = matches(r, p, error);
    if (!error.empty()) {
      w.final = true;
      w.result.error = error;
      return w;
    }
    if (!hit) continue;
    if (std::holds_alternative<rules::action::Return>(r.action)) {
      // In a built-in chain, RETURN ends the chain: its policy (ACCEPT) applies.
      w.final = rules::isBuiltin(id);
      w.result.rule = r.tag;
      return w;
    }
    if (const auto* j = std::get_if<rules::action::Jump>(&r.action)) {
      if (rules::tableOf(j->chain) != rules::Table::kNat) {
        w.final = true;
        w.result.error = "rule " + r.tag + " jumps out of the nat table";
        return w;
      }
      Walk inner = walk(m, j->chain, p, depth + 1);
      if (inner.final) return inner;
      continue;
    }
    if (const auto* redirect = std::get_if<rules::action::Redirect>(&r.action)) {
      w.final = true;
      w.result.rule = r.tag;
      w.result.verdict =
          p.proto == Proto::kUdp ? Verdict::dns(redirect->port) : Verdict::redirect(redirect->port);
      return w;
    }
    if (std::holds_alternative<rules::action::Log>(r.action)) continue;
    // JumpForeign (Docker's chain), CtZone and Drop: not modelled in nat.
    w.final = true;
    w.result.error = "rule " + r.tag + " has an action the evaluator does not model in nat";
    return w;
  }
  return w;
}

}  // namespace

ModelResult evaluateModel(const rules::Model& model, const Packet& packet) {
  Family f = packet.family();
  if ((f == Family::kV4 && !model.ipv4) || (f == Family::kV6 && !model.ipv6)) return {};
  if (packet.direction == Direction::kInbound && packet.iface == "lo") {
    // Connections over loopback start in the pod: their nat binding was made in nat OUTPUT
    // (the outbound grid), and netfilter does not run nat PREROUTING for them again.
    return {};
  }
  ChainId start =
      packet.direction == Direction::kOutbound ? ChainId::kNatOutput : ChainId::kNatPrerouting;
  return walk(model, start, packet, 0).result;
}

}  // namespace kt::parity
