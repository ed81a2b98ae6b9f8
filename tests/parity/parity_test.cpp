// One policy, two implementations (label unit): the rule model (iptables/builder.cpp, rendered
// for iptables and nftables) and the eBPF plan (src/backend/ebpf/plan.cpp, read by bpf/*.bpf.c)
// must intercept the same traffic. For every golden scenario and every variant:
//
//  - FeatureMap: every rule the builder emits, by tag, has an eBPF counterpart that the plan
//    carries for this scenario, or is listed below as a deliberate difference with its reason.
//    A tag this test does not know fails it: a new rule needs a decision here.
//  - PacketVerdicts: a grid of outbound and inbound packets is run through the model's nat
//    chains (model_eval.h) and through the plan as the programs read it (ebpf_eval.h); the
//    verdicts (pass, redirect to a port, DNS redirect) must agree on every packet, except where
//    a documented difference below explains the disagreement.
//
// Variants (below) add settings no golden scenario has, on top of one.
#include <algorithm>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ebpf_eval.h"
#include "iptables/builder.h"
#include "model_eval.h"
#include "scenario_inputs.h"
#include "support/golden.h"
#include "support/text.h"

namespace kt::parity {
namespace {

using backend::ebpf::PodPlan;

// ---------------------------------------------------------------------------------------------
// Scenarios the eBPF plan rejects (planPod returns a kConfig error), with the reason. Such a
// scenario's checks are skipped with the plan's error in the output; a listed scenario that the
// plan accepts fails, so the list cannot go stale. Empty: the plan accepts every scenario.
const std::map<std::string, std::string> kPlanRejects = {};

// ---------------------------------------------------------------------------------------------
// Feature map.

struct Case {
  ScenarioInputs in;
  rules::Model model;
  PodPlan plan;
};

bool anyAddr(const PodPlan& p, uint32_t flag) {
  return std::any_of(p.addrs.begin(), p.addrs.end(),
                     [&](const auto& a) { return (a.flags & flag) != 0; });
}
// Any of the KT_POD_* bits in `flags`.
bool hasFlag(const PodPlan& p, uint32_t flags) {
  return (p.pod.flags & flags) != 0;
}
// The plan's inbound (outbound) settings take effect only with KT_POD_INBOUND (KT_POD_OUTBOUND);
// without it the plan may still carry them, inert, while the model has no rule for them.
bool inboundOn(const PodPlan& p) {
  return hasFlag(p, KT_POD_INBOUND);
}
bool outboundOn(const PodPlan& p) {
  return hasFlag(p, KT_POD_OUTBOUND);
}

// A rule of the model with an eBPF counterpart: where the programs implement it and whether
// this plan carries what it needs. `dataBearing`: the plan carries the feature only when the
// model has the rule too (checked both ways).
struct Counterpart {
  const char* ebpf;
  std::function<bool(const Case&)> present;
  bool dataBearing = false;
};

const std::map<std::string, Counterpart>& counterparts() {
  static const std::map<std::string, Counterpart> map = {
      {"prerouting/inbound",
       {"sk_lookup program of the pod (kt_sk_lookup), TCP only", [](const Case&) { return true; }}},
      {"output/outbound",
       {"cgroup connect4/6 hooks, TCP (kt_tcp_connect)", [](const Case&) { return true; }}},
      {"output/exclude-ports-for-uids",
       {"kt_pod.uid_rules (+ their kt_port_sets), kt_uid_excluded",
        [](const Case& c) { return c.plan.pod.n_uid_rules > 0; }, true}},
      {"output/exclude-ips",
       {"kt_addrs KT_ADDR_EXCLUDE_OUT",
        [](const Case& c) { return anyAddr(c.plan, KT_ADDR_EXCLUDE_OUT); }, true}},
      {"output/dns/sidecar-return",
       {"kt_udp_dns: sidecar uid passes",
        [](const Case& c) { return hasFlag(c.plan, KT_POD_DNS_V4 | KT_POD_DNS_V6); }}},
      {"output/dns/redirect",
       {"KT_POD_DNS_V4/V6 + KT_POD_DNS_ALL or kt_addrs KT_ADDR_DNS, kt_pod.dns_port",
        [](const Case& c) {
          return hasFlag(c.plan, KT_POD_DNS_V4 | KT_POD_DNS_V6) &&
                 (hasFlag(c.plan, KT_POD_DNS_ALL) || anyAddr(c.plan, KT_ADDR_DNS));
        },
        true}},
      {"output/dns/tcp-return",
       {"kt_tcp_connect: application TCP/53 passes when DNS of the family is redirected",
        [](const Case& c) { return hasFlag(c.plan, KT_POD_DNS_V4 | KT_POD_DNS_V6); }}},
      {"inbound/disabled",
       {"KT_POD_INBOUND clear", [](const Case& c) { return !hasFlag(c.plan, KT_POD_INBOUND); }}},
      {"inbound/exclude-ips",
       {"kt_addrs KT_ADDR_EXCLUDE_IN",
        [](const Case& c) { return inboundOn(c.plan) && anyAddr(c.plan, KT_ADDR_EXCLUDE_IN); },
        true}},
      {"inbound/include-ports",
       {"KT_POD_IN_INCLUDE + kt_pod.in_port_set",
        [](const Case& c) {
          return inboundOn(c.plan) && hasFlag(c.plan, KT_POD_IN_INCLUDE) && c.plan.pod.in_port_set;
        },
        true}},
      {"inbound/exclude-ports",
       {"kt_pod.in_port_set without KT_POD_IN_INCLUDE",
        [](const Case& c) {
          return inboundOn(c.plan) && !hasFlag(c.plan, KT_POD_IN_INCLUDE) && c.plan.pod.in_port_set;
        },
        true}},
      {"inbound/redirect",
       {"KT_POD_INBOUND", [](const Case& c) { return hasFlag(c.plan, KT_POD_INBOUND); }}},
      {"outbound/disabled",
       {"KT_POD_OUTBOUND clear", [](const Case& c) { return !hasFlag(c.plan, KT_POD_OUTBOUND); }}},
      {"outbound/exclude-ports",
       {"kt_pod.out_port_set without KT_POD_OUT_INCLUDE",
        [](const Case& c) {
          return outboundOn(c.plan) && !hasFlag(c.plan, KT_POD_OUT_INCLUDE) &&
                 c.plan.pod.out_port_set;
        },
        true}},
      {"outbound/inbound-passthrough",
       {"kt_tcp_connect: bound to 127.0.0.6 / ::6 towards a KT_ADDR_LOCAL destination",
        [](const Case& c) { return anyAddr(c.plan, KT_ADDR_LOCAL); }}},
      {"outbound/sidecar-to-self-as-inbound",
       {"kt_tcp_connect: sidecar to a KT_ADDR_LOCAL address but localhost -> inbound port",
        [](const Case& c) { return anyAddr(c.plan, KT_ADDR_LOCAL); }}},
      {"outbound/app-loopback",
       {"kt_tcp_connect: application to a KT_ADDR_LOCAL address passes",
        [](const Case& c) { return anyAddr(c.plan, KT_ADDR_LOCAL); }}},
      {"outbound/sidecar",
       {"kt_pod.sidecar_uid",
        [](const Case& c) { return c.plan.pod.sidecar_uid == c.in.facts.kumaDpUid; }}},
      {"outbound/localhost",
       {"kt_tcp_connect: 127.0.0.1 / ::1 pass (kt_is_localhost)",
        [](const Case&) { return true; }}},
      {"outbound/include-ports",
       {"KT_POD_OUT_INCLUDE + kt_pod.out_port_set",
        [](const Case& c) {
          return outboundOn(c.plan) && hasFlag(c.plan, KT_POD_OUT_INCLUDE) &&
                 c.plan.pod.out_port_set;
        },
        true}},
      {"outbound/redirect",
       {"KT_POD_OUTBOUND", [](const Case& c) { return hasFlag(c.plan, KT_POD_OUTBOUND); }}},
      {"inbound-redirect",
       {"kt_pod.inbound_port / inbound_port6",
        [](const Case& c) {
          return c.plan.pod.inbound_port == c.in.cfg.inbound.port &&
                 (!hasFlag(c.plan, KT_POD_IPV6) || c.plan.pod.inbound_port6 != 0);
        }}},
      {"outbound-redirect",
       {"kt_pod.outbound_port",
        [](const Case& c) { return c.plan.pod.outbound_port == c.in.cfg.outbound.port; }}},
  };
  return map;
}

// Rules with no eBPF counterpart, deliberately. `warning`: a text the plan's warnings must
// contain (the setting is reported as having no effect), or nullptr.
struct NoCounterpart {
  const char* reason;
  const char* warning;
};

constexpr const char* kZoneReason =
    "conntrack zones keep the application's NATed DNS flow apart from the sidecar's upstream "
    "flow, whose tuples are equal after REDIRECT. The eBPF hooks rewrite the socket's "
    "destination before any flow exists (no NAT, no conntrack entry to collide), so there is "
    "nothing to split.";

const std::map<std::string, NoCounterpart>& noCounterparts() {
  static const std::map<std::string, NoCounterpart> map = {
      {"prerouting/log",
       {"LOG rules: the programs do not log packets", "--iptables-logs has no effect"}},
      {"output/log",
       {"LOG rules: the programs do not log packets", "--iptables-logs has no effect"}},
      {"prerouting/drop-invalid",
       {"conntrack INVALID drop: the programs never see packets, only sockets",
        "--drop-invalid-packets has no effect"}},
      {"dns/sidecar-upstream-zone", {kZoneReason, nullptr}},
      {"dns/proxy-reply-zone", {kZoneReason, nullptr}},
      {"dns/app-query-zone", {kZoneReason, nullptr}},
      {"dns/upstream-reply-zone", {kZoneReason, nullptr}},
      {"dns/loopback-resolver-reply-zone", {kZoneReason, nullptr}},
  };
  return map;
}

// ---------------------------------------------------------------------------------------------
// Documented verdict differences. Each one explains a disagreement only in the exact form
// described (which packet, which verdict on each side); anything else still fails.

struct Difference {
  const char* name;
  const char* reason;
  std::function<bool(const Case&, const Packet&, const Verdict& model, const Verdict& ebpf)>
      explains;
};

IpAddress addr(const char* text) {
  return *IpAddress::parse(text);
}

uint16_t inboundPortOf(const config::Config& cfg, Family f) {
  if (f == Family::kV6 && cfg.inbound.portV6 != 0) return cfg.inbound.portV6;
  return cfg.inbound.port;
}

// The TCP ports the sidecar listens on: Envoy's outbound and inbound listeners.
std::set<uint16_t> sidecarListeners(const config::Config& cfg) {
  std::set<uint16_t> out = {cfg.outbound.port, cfg.inbound.port};
  if (cfg.inbound.portV6 != 0) out.insert(cfg.inbound.portV6);
  return out;
}

const std::vector<Difference>& differences() {
  static const std::vector<Difference> list = {
      {"inbound-to-sidecar-port",
       "sk_lookup leaves a connection to a port the sidecar listens on (its outbound and "
       "inbound listeners) to that listener; netfilter's REDIRECT sends it to the inbound "
       "listener. Both end at the sidecar; with eBPF the port the peer asked for is kept.",
       [](const Case& c, const Packet& p, const Verdict& model, const Verdict& ebpf) {
         return p.direction == Direction::kInbound && p.proto == Proto::kTcp &&
                sidecarListeners(c.in.cfg).count(p.dport) && ebpf == Verdict::pass() &&
                model == Verdict::redirect(inboundPortOf(c.in.cfg, p.family()));
       }},
      {"sidecar-to-self-with-inbound-off",
       "with inbound interception off (e.g. gateways) the sidecar has no inbound listener; "
       "Kuma's rule that turns the sidecar's connections to the pod's own address into inbound "
       "traffic stays only because its redirect chain always exists. The eBPF hook applies it "
       "only with KT_POD_INBOUND, so such connections reach the address they were made to.",
       [](const Case& c, const Packet& p, const Verdict& model, const Verdict& ebpf) {
         return p.direction == Direction::kOutbound && p.proto == Proto::kTcp &&
                !c.in.cfg.inbound.enabled && p.uid == c.in.facts.kumaDpUid && p.iface == "lo" &&
                ebpf == Verdict::pass() &&
                model == Verdict::redirect(inboundPortOf(c.in.cfg, p.family()));
       }},
  };
  return list;
}

// ---------------------------------------------------------------------------------------------
// The packet grid.

IpAddress next(IpAddress a) {
  for (size_t i = a.size(); i-- > 0;) {
    if (++a.bytes[i] != 0) break;
  }
  return a;
}

// Addresses routed over lo in the grid's pod: 127/8, ::1, ::6 (kuma-init's passthrough source)
// and the pod's own addresses.
bool routesOverLoopback(const IpAddress& a) {
  if (a.family == Family::kV4) return a.bytes[0] == 127 || a == podIp(Family::kV4);
  return a == addr("::1") || a == addr("::6") || a == podIp(Family::kV6);
}

// The source the kernel picks for an unbound socket: the destination itself when it is one of
// the pod's addresses, 127.0.0.1 for the rest of 127/8, else the pod's address.
IpAddress routedSource(const IpAddress& dst) {
  if (dst.family == Family::kV4 && dst.bytes[0] == 127) {
    return dst == addr("127.0.0.1") ? dst : addr("127.0.0.1");
  }
  if (routesOverLoopback(dst)) return dst;
  return podIp(dst.family);
}

void addBoundaries(std::set<uint16_t>& out, const std::vector<PortRange>& ranges) {
  for (const auto& r : ranges) {
    out.insert(r.first);
    out.insert(r.last);
    if (r.first > 1) out.insert(static_cast<uint16_t>(r.first - 1));
    if (r.last < 65535) out.insert(static_cast<uint16_t>(r.last + 1));
  }
}

// Ports every grid tries: well-known ones, DNS, and the sidecar's ports.
std::set<uint16_t> commonPorts(const config::Config& cfg) {
  std::set<uint16_t> out = {22,          53, 80, 443, 8080, cfg.outbound.port, cfg.inbound.port,
                            cfg.dns.port};
  if (cfg.inbound.portV6 != 0) out.insert(cfg.inbound.portV6);
  return out;
}

void addCidrPoints(std::vector<IpAddress>& out, const std::vector<Cidr>& cidrs) {
  for (const auto& c : cidrs) {
    out.push_back(c.addr);
    out.push_back(c.last());
    IpAddress after = next(c.last());
    if (after.family == c.family()) out.push_back(after);
  }
}

std::vector<IpAddress> unique(std::vector<IpAddress> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::vector<Packet> outboundGrid(const ScenarioInputs& in) {
  const auto& cfg = in.cfg;
  std::vector<IpAddress> dsts = {addr("93.184.216.34"),
                                 addr("8.8.8.8"),
                                 podIp(Family::kV4),
                                 addr("127.0.0.1"),
                                 addr("127.0.0.5"),
                                 addr("127.0.0.6"),
                                 addr("2606:2800:220:1::34"),
                                 addr("2001:4860::8888"),
                                 podIp(Family::kV6),
                                 addr("::1"),
                                 addr("::6")};
  dsts.insert(dsts.end(), in.facts.dnsServers.begin(), in.facts.dnsServers.end());
  addCidrPoints(dsts, cfg.outbound.excludeIps);
  addCidrPoints(dsts, cfg.inbound.excludeIps);
  dsts = unique(dsts);

  std::set<uint16_t> ports = commonPorts(cfg);
  addBoundaries(ports, cfg.outbound.excludePorts);
  addBoundaries(ports, cfg.outbound.includePorts);
  std::set<uint32_t> uids = {0, 4242, in.facts.kumaDpUid};
  for (const auto& ex : cfg.outbound.excludePortsForUids) {
    addBoundaries(ports, ex.ports);
    uids.insert(ex.uids.first);
    uids.insert(ex.uids.last);
    if (ex.uids.first > 0) uids.insert(ex.uids.first - 1);
    uids.insert(ex.uids.last + 1);
  }

  std::vector<Packet> out;
  for (const auto& dst : dsts) {
    IpAddress passthrough = dst.family == Family::kV4 ? addr("127.0.0.6") : addr("::6");
    for (bool bound : {false, true}) {
      for (Proto proto : {Proto::kTcp, Proto::kUdp}) {
        for (uint16_t port : ports) {
          for (uint32_t uid : uids) {
            Packet p;
            p.direction = Direction::kOutbound;
            p.proto = proto;
            p.dst = dst;
            p.dport = port;
            p.sport = 40000;
            p.uid = uid;
            p.iface = routesOverLoopback(dst) ? "lo" : "eth0";
            if (bound) p.boundSrc = passthrough;
            p.src = bound ? passthrough : routedSource(dst);
            out.push_back(p);
          }
        }
      }
    }
  }
  return out;
}

std::vector<Packet> inboundGrid(const ScenarioInputs& in) {
  const auto& cfg = in.cfg;
  std::vector<IpAddress> srcs = {addr("203.0.113.7"), addr("2001:db8:2::7")};
  addCidrPoints(srcs, cfg.inbound.excludeIps);
  addCidrPoints(srcs, cfg.outbound.excludeIps);
  // The kernel drops packets from the network that claim one of the pod's own addresses.
  srcs.erase(std::remove_if(srcs.begin(), srcs.end(), routesOverLoopback), srcs.end());
  srcs = unique(srcs);

  std::set<uint16_t> ports = commonPorts(cfg);
  addBoundaries(ports, cfg.inbound.excludePorts);
  addBoundaries(ports, cfg.inbound.includePorts);

  std::vector<Packet> out;
  for (Proto proto : {Proto::kTcp, Proto::kUdp}) {
    for (uint16_t port : ports) {
      for (Family f : {Family::kV4, Family::kV6}) {
        // Over loopback: a connection the pod makes to itself.
        Packet lo;
        lo.direction = Direction::kInbound;
        lo.proto = proto;
        lo.src = f == Family::kV4 ? addr("127.0.0.1") : addr("::1");
        lo.dst = podIp(f);
        lo.sport = 40000;
        lo.dport = port;
        lo.iface = "lo";
        out.push_back(lo);
      }
      for (const auto& src : srcs) {
        Packet p;
        p.direction = Direction::kInbound;
        p.proto = proto;
        p.src = src;
        p.dst = podIp(src.family);
        p.sport = 40000;
        p.dport = port;
        p.iface = "eth0";
        out.push_back(p);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

// Settings no golden scenario has (some exist only in the config file, which the scenarios do
// not use): each is a golden scenario with Config fields changed after loading.
struct Variant {
  const char* name;
  const char* base;  // a golden scenario
  std::function<void(config::Config&)> change;
};

const std::vector<Variant>& variants() {
  static const std::vector<Variant> list = {
      {"include-ports", "default",
       [](config::Config& c) {
         c.inbound.includePorts = {{80, 80}, {8080, 8090}};
         c.outbound.includePorts = {{443, 443}, {5000, 5010}};
       }},
      {"include-over-exclude", "exclusions",
       [](config::Config& c) {
         c.inbound.includePorts = {{22, 22}, {8080, 8090}};
         c.outbound.includePorts = {{443, 443}, {1000, 1005}};
       }},
      {"outbound-disabled", "dns-capture-all",
       [](config::Config& c) { c.outbound.enabled = false; }},
      {"inbound-disabled-with-exclusions", "exclusions",
       [](config::Config& c) { c.inbound.enabled = false; }},
      {"outbound-disabled-with-exclusions", "exclusions",
       [](config::Config& c) { c.outbound.enabled = false; }},
  };
  return list;
}

// What one instance of the suite checks: a golden scenario, or a variant of one.
struct Source {
  std::string name;
  const Variant* variant = nullptr;
};

void PrintTo(const Source& s, std::ostream* os) {
  *os << (s.variant ? "variant " : "scenario ") << s.name;
}

std::vector<Source> sources() {
  std::vector<Source> out;
  for (const auto& n : golden::scenarioNames(KT_GOLDEN_DIR))
    out.push_back({n, nullptr});
  for (const auto& v : variants())
    out.push_back({v.name, &v});
  return out;
}

class Parity : public ::testing::TestWithParam<Source> {
 protected:
  // Loads the scenario and builds both policies; false (with a failure or a skip) when the
  // checks cannot run.
  bool load(Case& c) {
    const Source& src = GetParam();
    const std::string& name = src.name;
    auto in = loadScenarioInputs(KT_GOLDEN_DIR, src.variant ? src.variant->base : name);
    if (!in.ok()) {
      ADD_FAILURE() << "scenario " << name << " does not load: " << in.error().message();
      return false;
    }
    c.in = std::move(*in);
    if (src.variant) src.variant->change(c.in.cfg);
    if (!c.in.cfg.ebpf.tcAttachIface.empty()) {
      if (c.in.cfg.ebpf.tcAttachIface != "eth0") {
        ADD_FAILURE() << "the grid's pod has lo and eth0, no " << c.in.cfg.ebpf.tcAttachIface;
        return false;
      }
      c.in.pod.inboundIfindex = kEth0Ifindex;
      c.in.pod.inboundIface = "eth0";
    }
    c.model = rules::build(c.in.cfg, c.in.facts);
    auto plan = backend::ebpf::planPod(c.in.cfg, c.in.facts, c.in.pod);
    auto listed = kPlanRejects.find(name);
    if (!plan.ok()) {
      if (listed == kPlanRejects.end() || plan.error().kind() != ErrorKind::kConfig) {
        ADD_FAILURE() << "planPod rejects scenario " << name << ": " << plan.error().message();
        return false;
      }
      skipReason_ =
          "the eBPF plan rejects this scenario (" + listed->second + "): " + plan.error().message();
      return false;
    }
    if (listed != kPlanRejects.end()) {
      ADD_FAILURE() << "scenario " << name
                    << " is listed in kPlanRejects but the eBPF plan accepts it";
      return false;
    }
    c.plan = std::move(*plan);
    return true;
  }

  std::string skipReason_;
};

TEST_P(Parity, FeatureMap) {
  Case c;
  if (!load(c)) {
    if (!skipReason_.empty()) GTEST_SKIP() << skipReason_;
    return;
  }
  std::set<std::string> tags;
  for (const auto& chain : c.model.chains)
    for (const auto& r : chain.rules)
      tags.insert(r.tag);
  for (const auto& tag : tags) {
    if (auto it = counterparts().find(tag); it != counterparts().end()) {
      EXPECT_TRUE(it->second.present(c))
          << "the rule model has " << tag
          << " but the eBPF plan lacks its counterpart: " << it->second.ebpf;
      continue;
    }
    if (auto it = noCounterparts().find(tag); it != noCounterparts().end()) {
      if (it->second.warning) {
        bool warned =
            std::any_of(c.plan.warnings.begin(), c.plan.warnings.end(),
                        [&](const auto& w) { return testing::contains(w, it->second.warning); });
        EXPECT_TRUE(warned) << tag << " has no eBPF counterpart (" << it->second.reason
                            << "), so the plan must warn \"" << it->second.warning << "\"";
      }
      continue;
    }
    ADD_FAILURE() << "rule tag " << tag
                  << " is unknown to the parity test: give it an eBPF counterpart in "
                     "counterparts() or list it with its reason in noCounterparts()";
  }
  // The other direction: what the plan carries for a setting, the model has a rule for.
  for (const auto& [tag, cp] : counterparts()) {
    if (cp.dataBearing && cp.present(c)) {
      EXPECT_TRUE(tags.count(tag))
          << "the eBPF plan has " << cp.ebpf << " but the rule model has no " << tag << " rule";
    }
  }
}

TEST_P(Parity, PacketVerdicts) {
  Case c;
  if (!load(c)) {
    if (!skipReason_.empty()) GTEST_SKIP() << skipReason_;
    return;
  }
  EbpfDecider ebpf(c.plan, sidecarListeners(c.in.cfg));
  std::vector<Packet> grid = outboundGrid(c.in);
  std::vector<Packet> inbound = inboundGrid(c.in);
  grid.insert(grid.end(), inbound.begin(), inbound.end());

  std::map<std::string, size_t> explained;
  std::map<Verdict::Kind, size_t> kinds;
  std::vector<std::string> mismatches;
  size_t mismatchCount = 0;
  for (const auto& p : grid) {
    ModelResult m = evaluateModel(c.model, p);
    ASSERT_TRUE(m.error.empty()) << p.str() << ": " << m.error;
    Verdict e = ebpf.decide(p);
    kinds[m.verdict.kind]++;
    if (m.verdict == e) continue;
    const Difference* why = nullptr;
    for (const auto& d : differences()) {
      if (d.explains(c, p, m.verdict, e)) {
        why = &d;
        break;
      }
    }
    if (why) {
      explained[why->name]++;
      continue;
    }
    ++mismatchCount;
    if (mismatches.size() < 20) {
      mismatches.push_back(p.str() + ": rule model " + m.verdict.str() +
                           (m.rule.empty() ? "" : " (" + m.rule + ")") + ", eBPF " + e.str());
    }
  }
  std::string list;
  for (const auto& line : mismatches)
    list += "\n  " + line;
  EXPECT_EQ(mismatchCount, 0u) << mismatchCount << " of " << grid.size()
                               << " packets get different verdicts; the first ones:" << list;
  for (const auto& [name, n] : explained)
    std::fprintf(stderr, "%s: %zu packets differ as documented (%s)\n", GetParam().name.c_str(), n,
                 name.c_str());
  // The grid is not vacuous: some packets pass and some are redirected.
  EXPECT_GT(kinds[Verdict::Kind::kPass], 0u);
  EXPECT_GT(kinds[Verdict::Kind::kRedirect], 0u);
  if (c.in.cfg.dns.enabled) {
    EXPECT_GT(kinds[Verdict::Kind::kDnsRedirect], 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Parity, ::testing::ValuesIn(sources()),
                         [](const ::testing::TestParamInfo<Source>& p) {
                           return golden::testName((p.param.variant ? "variant_" : "") +
                                                   p.param.name);
                         });

// Both evaluators against verdicts known by hand, so that agreement cannot come from two
// evaluators that are wrong the same way (e.g. both always passing).
TEST(ParityEvaluators, KnownVerdicts) {
  auto in = loadScenarioInputs(KT_GOLDEN_DIR, "dns-capture-all");
  ASSERT_TRUE(in.ok()) << in.error().message();
  rules::Model model = rules::build(in->cfg, in->facts);
  auto plan = backend::ebpf::planPod(in->cfg, in->facts, in->pod);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EbpfDecider ebpf(*plan, sidecarListeners(in->cfg));
  auto out = [](Proto proto, const char* dst, uint16_t port, uint32_t uid) {
    Packet p;
    p.proto = proto;
    p.dst = addr(dst);
    p.dport = port;
    p.sport = 40000;
    p.uid = uid;
    p.iface = routesOverLoopback(p.dst) ? "lo" : "eth0";
    p.src = routedSource(p.dst);
    return p;
  };
  auto inbound = [](const char* src, uint16_t port) {
    Packet p;
    p.direction = Direction::kInbound;
    p.src = addr(src);
    p.dst = podIp(p.src.family);
    p.sport = 40000;
    p.dport = port;
    p.iface = "eth0";
    return p;
  };
  const struct {
    Packet packet;
    Verdict verdict;
  } cases[] = {
      {out(Proto::kTcp, "93.184.216.34", 80, 1000), Verdict::redirect(15001)},
      {out(Proto::kTcp, "2606:2800:220:1::34", 443, 1000), Verdict::redirect(15001)},
      {out(Proto::kTcp, "93.184.216.34", 80, 5678), Verdict::pass()},
      {out(Proto::kTcp, "127.0.0.1", 8080, 1000), Verdict::pass()},
      {out(Proto::kTcp, "10.0.0.2", 8080, 5678), Verdict::redirect(15006)},
      {out(Proto::kTcp, "fd00::2", 8080, 5678), Verdict::redirect(15010)},
      {out(Proto::kTcp, "8.8.8.8", 53, 1000), Verdict::pass()},
      {out(Proto::kUdp, "8.8.8.8", 53, 1000), Verdict::dns(15053)},
      {out(Proto::kUdp, "8.8.8.8", 53, 5678), Verdict::pass()},
      {out(Proto::kUdp, "8.8.8.8", 123, 1000), Verdict::pass()},
      {inbound("203.0.113.7", 8080), Verdict::redirect(15006)},
      {inbound("2001:db8:2::7", 8080), Verdict::redirect(15010)},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(evaluateModel(model, c.packet).verdict, c.verdict)
        << "rule model: " << c.packet.str() << ": " << evaluateModel(model, c.packet).verdict.str();
    EXPECT_EQ(ebpf.decide(c.packet), c.verdict)
        << "eBPF: " << c.packet.str() << ": " << ebpf.decide(c.packet).str();
  }
}

TEST(ParityScenarios, EveryGoldenScenarioIsChecked) {
  // A typo in KT_GOLDEN_DIR would leave nothing to instantiate.
  EXPECT_GE(golden::scenarioNames(KT_GOLDEN_DIR).size(), 14u);
}

}  // namespace
}  // namespace kt::parity
