#include "builder.h"

#include <algorithm>

namespace kt::rules {

namespace {

using config::Config;
using config::Facts;

Cidr v4Host(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return Cidr::host(IpAddress::v4(a, b, c, d));
}
Cidr v6Host(uint8_t last) {
  IpAddress a;
  a.family = Family::kV6;
  a.bytes[15] = last;
  return Cidr::host(a);
}

// Envoy's inbound passthrough binds its connections to the application to these sources.
const Cidr kPassthroughV4 = v4Host(127, 0, 0, 6);
const Cidr kPassthroughV6 = v6Host(6);
const Cidr kLocalhostV4 = v4Host(127, 0, 0, 1);
const Cidr kLocalhostV6 = v6Host(1);

const Cidr& localhostOf(Family f) {
  return f == Family::kV4 ? kLocalhostV4 : kLocalhostV6;
}

constexpr uint16_t kDnsPort = 53;
constexpr const char* kDockerOutputChain = "DOCKER_OUTPUT";

PortMatch ports(std::vector<PortRange> p) {
  return PortMatch{std::move(p), false};
}
PortMatch port(uint16_t p) {
  return PortMatch{{PortRange{p, p}}, false};
}

// Which families a rule is for. Rules that differ between the families (DNS, the IPv6 inbound
// port) are emitted per family; everything else once for both.
struct Families {
  bool v4 = false;
  bool v6 = false;
  bool any() const { return v4 || v6; }
  bool has(Family f) const { return f == Family::kV4 ? v4 : v6; }
};

// Rules accumulate per chain in final kernel order. In built-in chains the inserted rules come
// first (the renderer numbers them 1, 2, ...), then the appended ones.
class Builder {
 public:
  Builder(const Config& cfg, const Facts& facts)
      : cfg_(cfg), facts_(facts), uid_{facts.kumaDpUid, facts.kumaDpUid} {}

  Model build() {
    Model m;
    m.ipv4 = true;
    m.ipv6 = facts_.ipv6;
    raw();
    natPrerouting();
    natOutput();
    mangle();
    inbound();
    outbound();
    redirects();
    for (ChainId id : {ChainId::kRawPrerouting, ChainId::kRawOutput, ChainId::kNatPrerouting,
                       ChainId::kNatOutput, ChainId::kManglePrerouting, ChainId::kInbound,
                       ChainId::kOutbound, ChainId::kInboundRedirect, ChainId::kOutboundRedirect}) {
      auto& rules = chains_[static_cast<size_t>(id)];
      // Built-in chains appear only when they get rules; our chains always exist (Kuma creates
      // the redirect chains even when a direction is disabled).
      if (isBuiltin(id) && rules.empty()) continue;
      m.chains.push_back(Chain{id, std::move(rules)});
    }
    return m;
  }

 private:
  std::vector<Rule>& chain(ChainId id) { return chains_[static_cast<size_t>(id)]; }

  // Appends r to `into` tagged for the families in `fams`; nothing when fams is empty. Without
  // IPv6 rules only IPv4 matters: a rule for IPv4 then stays untagged.
  void add(std::vector<Rule>& into, Rule r, Families fams) const {
    if (!facts_.ipv6) fams.v6 = fams.v4;
    if (!fams.any()) return;
    if (fams.v4 && fams.v6) {
      r.family = std::nullopt;
    } else {
      r.family = fams.v4 ? Family::kV4 : Family::kV6;
    }
    into.push_back(std::move(r));
  }

  static Families both() { return {true, true}; }

  // DNS redirection applies to family f: capture-all, or resolv.conf lists a server of f
  // (Kuma disables a family without servers, with a warning from the config stage).
  bool dnsFor(Family f) const {
    if (!cfg_.dns.enabled) return false;
    if (f == Family::kV6 && !facts_.ipv6) return false;
    if (cfg_.dns.captureAll) return true;
    return std::any_of(facts_.dnsServers.begin(), facts_.dnsServers.end(),
                       [f](const IpAddress& a) { return a.family == f; });
  }
  Families dns() const { return {dnsFor(Family::kV4), dnsFor(Family::kV6)}; }

  // Docker's embedded resolver (127.0.0.11) is reached through the IPv4 nat chain
  // DOCKER_OUTPUT; Docker creates no such chain for IPv6, so the fact concerns IPv4 only.
  bool dockerFor(Family f) const { return f == Family::kV4 && facts_.dockerOutputChain; }

  // The conntrack zone split for family f. With capture-all inside Docker, the sidecar's DNS
  // goes through Docker's DNAT and the zones would no longer match: Kuma turns the split off.
  bool zoneSplitFor(Family f) const {
    if (!dnsFor(f) || !cfg_.dns.conntrackZoneSplit) return false;
    return !(cfg_.dns.captureAll && dockerFor(f));
  }

  // The resolv.conf servers of the families in `fams`, in resolv.conf order.
  std::vector<Cidr> servers(Families fams) const {
    std::vector<Cidr> out;
    for (const auto& a : facts_.dnsServers)
      if (fams.has(a.family)) out.push_back(Cidr::host(a));
    return out;
  }

  // raw: conntrack zone split for DNS. Zone 1 = sidecar <-> upstream resolver, zone 2 =
  // application <-> local DNS proxy, so the NATed application flow and the proxy's upstream flow
  // (identical tuples after REDIRECT) never share a conntrack entry. CT is first-match.
  void raw() {
    Families split{zoneSplitFor(Family::kV4), zoneSplitFor(Family::kV6)};
    if (!split.any()) return;
    auto& out = chain(ChainId::kRawOutput);
    auto& pre = chain(ChainId::kRawPrerouting);
    {
      Rule r;
      r.proto = L4::kUdp;
      r.dport = port(kDnsPort);
      r.uid = UidMatch{uid_, false};
      r.action = action::CtZone{1};
      r.tag = "dns/sidecar-upstream-zone";
      add(out, r, split);
    }
    {
      Rule r;
      r.proto = L4::kUdp;
      r.sport = port(cfg_.dns.port);
      r.uid = UidMatch{uid_, false};
      r.action = action::CtZone{2};
      r.tag = "dns/proxy-reply-zone";
      add(out, r, split);
    }
    if (cfg_.dns.captureAll) {
      Rule r;
      r.proto = L4::kUdp;
      r.dport = port(kDnsPort);
      r.action = action::CtZone{2};
      r.tag = "dns/app-query-zone";
      add(out, r, split);

      Rule p;
      p.proto = L4::kUdp;
      p.sport = port(kDnsPort);
      p.action = action::CtZone{1};
      p.tag = "dns/upstream-reply-zone";
      add(pre, p, split);
      return;
    }
    // One set of rules per resolv.conf server, in resolv.conf order.
    for (const auto& s : servers(split)) {
      Rule r;
      r.proto = L4::kUdp;
      r.dst = AddrMatch{{s}, false};
      r.dport = port(kDnsPort);
      r.action = action::CtZone{2};
      r.tag = "dns/app-query-zone";
      out.push_back(r);
      if (s.addr.isLoopback()) {
        // A loopback resolver (Docker's 127.0.0.11) answers the sidecar from that address to
        // localhost; its replies belong to the sidecar's zone.
        Rule l;
        l.proto = L4::kUdp;
        l.src = AddrMatch{{s}, false};
        l.dst = AddrMatch{{localhostOf(s.family())}, false};
        l.action = action::CtZone{1};
        l.tag = "dns/loopback-resolver-reply-zone";
        out.push_back(l);
      }
    }
    for (const auto& s : servers(split)) {
      Rule p;
      p.proto = L4::kUdp;
      p.src = AddrMatch{{s}, false};
      p.sport = port(kDnsPort);
      p.action = action::CtZone{1};
      p.tag = "dns/upstream-reply-zone";
      pre.push_back(p);
    }
  }

  void natPrerouting() {
    auto& pre = chain(ChainId::kNatPrerouting);
    bool insert = cfg_.inbound.insertInsteadOfAppend;
    if (cfg_.logs) {
      Rule r;
      r.action = action::Log{"PREROUTING:", cfg_.logLevel};
      r.tag = "prerouting/log";
      // Kuma appends the LOG rule; with the insert option it is inserted too, so that it still
      // sees the packets before our jump does.
      r.insert = insert;
      add(pre, r, both());
    }
    Rule r;
    r.proto = L4::kTcp;
    r.action = action::Jump{ChainId::kInbound};
    r.tag = "prerouting/inbound";
    r.insert = insert;
    add(pre, r, both());
  }

  void natOutput() {
    auto& out = chain(ChainId::kNatOutput);
    bool insertJump = cfg_.outbound.insertInsteadOfAppend;
    if (cfg_.logs) {
      Rule r;
      r.action = action::Log{"OUTPUT:", cfg_.logLevel};
      r.tag = "output/log";
      r.insert = true;
      add(out, r, both());
    }
    // Outbound exclusions: uid rules first, then addresses (Kuma's order).
    for (const auto& ex : cfg_.outbound.excludePortsForUids) {
      for (auto proto : ex.protocols) {
        Rule r;
        r.proto = proto == config::Protocol::kTcp ? L4::kTcp : L4::kUdp;
        if (!ex.ports.empty()) r.dport = ports(ex.ports);
        r.uid = UidMatch{ex.uids, false};
        r.action = action::Return{};
        r.tag = "output/exclude-ports-for-uids";
        r.insert = true;
        add(out, r, both());
      }
    }
    if (!cfg_.outbound.excludeIps.empty()) {
      Rule r;
      r.dst = AddrMatch{cfg_.outbound.excludeIps, false};
      r.action = action::Return{};
      r.tag = "output/exclude-ips";
      r.insert = true;
      add(out, r, both());
    }
    Families d = dns();
    if (d.any()) {
      // The sidecar's own DNS queries go upstream (through Docker's DNAT when it exists).
      Rule ret;
      ret.proto = L4::kUdp;
      ret.dport = port(kDnsPort);
      ret.uid = UidMatch{uid_, false};
      ret.action = action::Return{};
      ret.tag = "output/dns/sidecar-return";
      ret.insert = true;
      if (dockerFor(Family::kV4)) {
        Rule docker = ret;
        docker.action = action::JumpForeign{kDockerOutputChain};
        add(out, docker, Families{d.v4, false});
        add(out, ret, Families{false, d.v6});
      } else {
        add(out, ret, d);
      }
      if (cfg_.dns.captureAll) {
        Rule r;
        r.proto = L4::kUdp;
        r.dport = port(kDnsPort);
        r.action = action::Redirect{cfg_.dns.port};
        r.tag = "output/dns/redirect";
        r.insert = true;
        add(out, r, d);
      } else {
        for (const auto& s : servers(d)) {
          Rule r;
          r.proto = L4::kUdp;
          r.dst = AddrMatch{{s}, false};
          r.dport = port(kDnsPort);
          r.action = action::Redirect{cfg_.dns.port};
          r.tag = "output/dns/redirect";
          r.insert = true;
          out.push_back(r);
        }
      }
      // TCP DNS from the application goes to the resolver directly (Kuma >= 2.14): the DNS
      // proxy only serves UDP, and redirecting TCP/53 broke TCP DNS with passthrough disabled.
      // Kuma appends it, so it lands after every inserted rule and before the appended jump.
      // With the insert option the jump is inserted, so this rule must be inserted before it.
      Rule r;
      r.proto = L4::kTcp;
      r.dport = port(kDnsPort);
      r.uid = UidMatch{uid_, true};
      r.action = action::Return{};
      r.tag = "output/dns/tcp-return";
      r.insert = insertJump;
      add(out, r, d);
    }
    Rule r;
    r.proto = L4::kTcp;
    r.action = action::Jump{ChainId::kOutbound};
    r.tag = "output/outbound";
    r.insert = insertJump;
    add(out, r, both());
  }

  void mangle() {
    if (!cfg_.dropInvalidPackets) return;
    Rule r;
    r.ctStateInvalid = true;
    r.action = action::Drop{};
    r.tag = "prerouting/drop-invalid";
    add(chain(ChainId::kManglePrerouting), r, both());
  }

  void inbound() {
    auto& in = chain(ChainId::kInbound);
    if (!cfg_.inbound.enabled) {
      Rule r;
      r.proto = L4::kTcp;
      r.action = action::Return{};
      r.tag = "inbound/disabled";
      add(in, r, both());
      return;
    }
    if (!cfg_.inbound.excludeIps.empty()) {
      Rule r;
      r.src = AddrMatch{cfg_.inbound.excludeIps, false};
      r.action = action::Return{};
      r.tag = "inbound/exclude-ips";
      add(in, r, both());
    }
    if (!cfg_.inbound.includePorts.empty()) {
      Rule r;
      r.proto = L4::kTcp;
      r.dport = ports(cfg_.inbound.includePorts);
      r.action = action::Jump{ChainId::kInboundRedirect};
      r.tag = "inbound/include-ports";
      add(in, r, both());
      return;
    }
    if (!cfg_.inbound.excludePorts.empty()) {
      Rule r;
      r.proto = L4::kTcp;
      r.dport = ports(cfg_.inbound.excludePorts);
      r.action = action::Return{};
      r.tag = "inbound/exclude-ports";
      add(in, r, both());
    }
    Rule r;
    r.proto = L4::kTcp;
    r.action = action::Jump{ChainId::kInboundRedirect};
    r.tag = "inbound/redirect";
    add(in, r, both());
  }

  void outbound() {
    auto& out = chain(ChainId::kOutbound);
    if (!cfg_.outbound.enabled) {
      Rule r;
      r.proto = L4::kTcp;
      r.action = action::Return{};
      r.tag = "outbound/disabled";
      add(out, r, both());
      return;
    }
    const auto& lo = facts_.loopbackIface;
    if (cfg_.outbound.includePorts.empty() && !cfg_.outbound.excludePorts.empty()) {
      Rule r;
      r.proto = L4::kTcp;
      r.dport = ports(cfg_.outbound.excludePorts);
      r.action = action::Return{};
      r.tag = "outbound/exclude-ports";
      add(out, r, both());
    }
    {
      // Envoy's inbound passthrough connects to the application from 127.0.0.6 / ::6 over
      // loopback: never redirect those again.
      Rule r;
      r.src = AddrMatch{{kPassthroughV4, kPassthroughV6}, false};
      r.outIface = IfaceMatch{lo, false};
      r.action = action::Return{};
      r.tag = "outbound/inbound-passthrough";
      add(out, r, both());
    }
    {
      // The sidecar talking to the pod's own address over loopback is inbound traffic. Kuma
      // adds this rule also when inbound redirection is off (its redirect chain still exists).
      Rule r;
      r.proto = L4::kTcp;
      r.outIface = IfaceMatch{lo, false};
      r.dst = AddrMatch{{kLocalhostV4, kLocalhostV6}, true};
      r.uid = UidMatch{uid_, false};
      r.action = action::Jump{ChainId::kInboundRedirect};
      r.tag = "outbound/sidecar-to-self-as-inbound";
      add(out, r, both());
    }
    {
      Rule r;
      r.proto = L4::kTcp;
      r.outIface = IfaceMatch{lo, false};
      r.uid = UidMatch{uid_, true};
      r.action = action::Return{};
      r.tag = "outbound/app-loopback";
      add(out, r, both());
    }
    {
      Rule r;
      r.uid = UidMatch{uid_, false};
      r.action = action::Return{};
      r.tag = "outbound/sidecar";
      add(out, r, both());
    }
    {
      Rule r;
      r.dst = AddrMatch{{kLocalhostV4, kLocalhostV6}, false};
      r.action = action::Return{};
      r.tag = "outbound/localhost";
      add(out, r, both());
    }
    Rule r;
    r.action = action::Jump{ChainId::kOutboundRedirect};
    if (!cfg_.outbound.includePorts.empty()) {
      r.proto = L4::kTcp;
      r.dport = ports(cfg_.outbound.includePorts);
      r.tag = "outbound/include-ports";
    } else {
      r.tag = "outbound/redirect";
    }
    add(out, r, both());
  }

  void redirects() {
    auto& in = chain(ChainId::kInboundRedirect);
    Rule r;
    r.proto = L4::kTcp;
    r.action = action::Redirect{cfg_.inbound.port};
    r.tag = "inbound-redirect";
    uint16_t v6Port = cfg_.inbound.portV6 != 0 ? cfg_.inbound.portV6 : cfg_.inbound.port;
    if (v6Port == cfg_.inbound.port) {
      add(in, r, both());
    } else {
      add(in, r, Families{true, false});
      r.action = action::Redirect{v6Port};
      add(in, r, Families{false, true});
    }
    Rule o;
    o.proto = L4::kTcp;
    o.action = action::Redirect{cfg_.outbound.port};
    o.tag = "outbound-redirect";
    add(chain(ChainId::kOutboundRedirect), o, both());
  }

  const Config& cfg_;
  const Facts& facts_;
  UidRange uid_;
  std::vector<Rule> chains_[9];
};

}  // namespace

Model build(const config::Config& cfg, const config::Facts& facts) {
  std::optional<Config> copy;
  return Builder(config::withNormalizedLists(cfg, copy, "the rule builder"), facts).build();
}

}  // namespace kt::rules
