#include "builder.h"

#include <algorithm>

namespace kt::rules {

namespace {

using config::Config;
using config::Facts;

const Cidr kPassthroughV4 = Cidr::host(IpAddress::v4(127, 0, 0, 6));
const Cidr kLocalhostV4 = Cidr::host(IpAddress::v4(127, 0, 0, 1));

Cidr v6Host(uint8_t last) {
  IpAddress a;
  a.family = Family::kV6;
  a.bytes[15] = last;
  return Cidr::host(a);
}
const Cidr kPassthroughV6 = v6Host(6);  // ::6, Envoy's inbound passthrough source
const Cidr kLocalhostV6 = v6Host(1);    // ::1

constexpr uint16_t kDnsPort = 53;

PortMatch ports(std::vector<PortRange> p, bool negate = false) {
  return PortMatch{std::move(p), negate};
}
PortMatch port(uint16_t p) {
  return PortMatch{{PortRange{p, p}}, false};
}

// Rules accumulate per chain in final kernel order; built-in chains list inserted rules first.
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
      // Built-in chains appear only when they get rules; our chains always exist.
      if (isBuiltin(id) && rules.empty()) continue;
      m.chains.push_back(Chain{id, std::move(rules)});
    }
    return m;
  }

 private:
  std::vector<Rule>& chain(ChainId id) { return chains_[static_cast<size_t>(id)]; }

  // DNS redirection applies to family f: capture-all, or resolv.conf lists a server of f.
  bool dnsFor(Family f) const {
    if (!cfg_.dns.enabled) return false;
    if (f == Family::kV6 && !facts_.ipv6) return false;
    if (cfg_.dns.captureAll) return true;
    return std::any_of(facts_.dnsServers.begin(), facts_.dnsServers.end(),
                       [f](const IpAddress& a) { return a.family == f; });
  }
  // The family tag for DNS rules: nullopt when both families capture DNS.
  std::optional<Family> dnsFamilies() const {
    bool v4 = dnsFor(Family::kV4), v6 = dnsFor(Family::kV6);
    if (v4 && !v6) return Family::kV4;
    if (v6 && !v4) return Family::kV6;
    return std::nullopt;
  }
  bool anyDns() const { return dnsFor(Family::kV4) || dnsFor(Family::kV6); }
  bool zoneSplit() const {
    if (!anyDns() || !cfg_.dns.conntrackZoneSplit) return false;
    // Inside Docker with capture-all, the sidecar's DNS goes through DOCKER_OUTPUT; Kuma
    // disables the split there because the zones would not match Docker's DNAT.
    return !(cfg_.dns.captureAll && facts_.dockerOutputChain);
  }
  std::vector<Cidr> serverCidrs() const {
    std::vector<Cidr> out;
    for (const auto& a : facts_.dnsServers)
      out.push_back(Cidr::host(a));
    return normalizeCidrs(out);
  }

  // raw: conntrack zone split for DNS. Zone 1 = sidecar <-> upstream resolver, zone 2 =
  // application <-> local DNS proxy, so the NATed application flow and the proxy's upstream flow
  // (identical tuples after REDIRECT) never share a conntrack entry. CT is first-match.
  void raw() {
    if (!zoneSplit()) return;
    auto fam = dnsFamilies();
    auto& out = chain(ChainId::kRawOutput);
    auto& pre = chain(ChainId::kRawPrerouting);
    Rule r;
    r.family = fam;
    r.proto = L4::kUdp;
    r.dport = port(kDnsPort);
    r.uid = UidMatch{uid_, false};
    r.action = action::CtZone{1};
    r.tag = "dns/sidecar-upstream-zone";
    out.push_back(r);

    r = Rule{};
    r.family = fam;
    r.proto = L4::kUdp;
    r.sport = port(cfg_.dns.port);
    r.uid = UidMatch{uid_, false};
    r.action = action::CtZone{2};
    r.tag = "dns/proxy-reply-zone";
    out.push_back(r);

    if (cfg_.dns.captureAll) {
      r = Rule{};
      r.family = fam;
      r.proto = L4::kUdp;
      r.dport = port(kDnsPort);
      r.action = action::CtZone{2};
      r.tag = "dns/app-query-zone";
      out.push_back(r);

      r = Rule{};
      r.family = fam;
      r.proto = L4::kUdp;
      r.sport = port(kDnsPort);
      r.action = action::CtZone{1};
      r.tag = "dns/upstream-reply-zone";
      pre.push_back(r);
      return;
    }
    auto servers = serverCidrs();
    r = Rule{};
    r.proto = L4::kUdp;
    r.dst = AddrMatch{servers, false};
    r.dport = port(kDnsPort);
    r.action = action::CtZone{2};
    r.tag = "dns/app-query-zone";
    out.push_back(r);

    // A loopback resolver (Docker's 127.0.0.11) answers from the loopback address.
    std::vector<Cidr> loopbackServers;
    for (const auto& c : servers)
      if (c.addr.isLoopback() && c.family() == Family::kV4) loopbackServers.push_back(c);
    if (!loopbackServers.empty()) {
      r = Rule{};
      r.proto = L4::kUdp;
      r.src = AddrMatch{loopbackServers, false};
      r.dst = AddrMatch{{kLocalhostV4}, false};
      r.action = action::CtZone{1};
      r.tag = "dns/loopback-resolver-reply-zone";
      out.push_back(r);
    }

    r = Rule{};
    r.proto = L4::kUdp;
    r.src = AddrMatch{servers, false};
    r.sport = port(kDnsPort);
    r.action = action::CtZone{1};
    r.tag = "dns/upstream-reply-zone";
    pre.push_back(r);
  }

  void natPrerouting() {
    auto& pre = chain(ChainId::kNatPrerouting);
    bool insert = cfg_.inbound.insertInsteadOfAppend;
    if (cfg_.logs) {
      Rule r;
      r.action = action::Log{"PREROUTING:", cfg_.logLevel};
      r.tag = "prerouting/log";
      r.insert = insert;  // keep inserted rules ahead of appended ones
      pre.push_back(r);
    }
    Rule r;
    r.proto = L4::kTcp;
    r.action = action::Jump{ChainId::kInbound};
    r.tag = "prerouting/inbound";
    r.insert = insert;
    pre.push_back(r);
  }

  void natOutput() {
    auto& out = chain(ChainId::kNatOutput);
    if (cfg_.logs) {
      Rule r;
      r.action = action::Log{"OUTPUT:", cfg_.logLevel};
      r.tag = "output/log";
      r.insert = true;
      out.push_back(r);
    }
    for (const auto& ex : cfg_.outbound.excludePortsForUids) {
      for (auto proto : ex.protocols) {
        Rule r;
        r.proto = proto == config::Protocol::kTcp ? L4::kTcp : L4::kUdp;
        if (!ex.ports.empty()) r.dport = ports(ex.ports);
        r.uid = UidMatch{ex.uids, false};
        r.action = action::Return{};
        r.tag = "output/exclude-ports-for-uids";
        r.insert = true;
        out.push_back(r);
      }
    }
    if (!cfg_.outbound.excludeIps.empty()) {
      Rule r;
      r.dst = AddrMatch{normalizeCidrs(cfg_.outbound.excludeIps), false};
      r.action = action::Return{};
      r.tag = "output/exclude-ips";
      r.insert = true;
      out.push_back(r);
    }
    bool dns = anyDns();
    auto fam = dnsFamilies();
    if (dns) {
      Rule r;
      r.family = fam;
      r.proto = L4::kUdp;
      r.dport = port(kDnsPort);
      r.uid = UidMatch{uid_, false};
      if (facts_.dockerOutputChain) {
        r.action = action::JumpForeign{"DOCKER_OUTPUT"};
      } else {
        r.action = action::Return{};
      }
      r.tag = "output/dns/sidecar-return";
      r.insert = true;
      out.push_back(r);

      r = Rule{};
      r.family = fam;
      r.proto = L4::kUdp;
      if (!cfg_.dns.captureAll) r.dst = AddrMatch{serverCidrs(), false};
      r.dport = port(kDnsPort);
      r.action = action::Redirect{cfg_.dns.port};
      r.tag = "output/dns/redirect";
      r.insert = true;
      out.push_back(r);

      // TCP DNS from the application goes to the resolver directly (Kuma >= 2.14): the DNS proxy
      // only serves UDP, and redirecting TCP/53 broke TCP DNS with passthrough disabled.
      r = Rule{};
      r.family = fam;
      r.proto = L4::kTcp;
      r.dport = port(kDnsPort);
      r.uid = UidMatch{uid_, true};
      r.action = action::Return{};
      r.tag = "output/dns/tcp-return";
      out.push_back(r);
    }
    Rule r;
    r.proto = L4::kTcp;
    r.action = action::Jump{ChainId::kOutbound};
    r.tag = "output/outbound";
    r.insert = cfg_.outbound.insertInsteadOfAppend;
    if (r.insert) {
      // An inserted jump must stay ahead of the appended TCP/53 rule: move it before.
      auto firstAppended =
          std::find_if(out.begin(), out.end(), [](const Rule& x) { return !x.insert; });
      out.insert(firstAppended, r);
    } else {
      out.push_back(r);
    }
  }

  void mangle() {
    if (!cfg_.dropInvalidPackets) return;
    Rule r;
    r.ctStateInvalid = true;
    r.action = action::Drop{};
    r.tag = "prerouting/drop-invalid";
    chain(ChainId::kManglePrerouting).push_back(r);
  }

  void inbound() {
    auto& in = chain(ChainId::kInbound);
    if (!cfg_.inbound.enabled) {
      Rule r;
      r.proto = L4::kTcp;
      r.action = action::Return{};
      r.tag = "inbound/disabled";
      in.push_back(r);
      return;
    }
    if (!cfg_.inbound.excludeIps.empty()) {
      Rule r;
      r.src = AddrMatch{normalizeCidrs(cfg_.inbound.excludeIps), false};
      r.action = action::Return{};
      r.tag = "inbound/exclude-ips";
      in.push_back(r);
    }
    if (!cfg_.inbound.includePorts.empty()) {
      Rule r;
      r.proto = L4::kTcp;
      r.dport = ports(normalizePorts(cfg_.inbound.includePorts));
      r.action = action::Jump{ChainId::kInboundRedirect};
      r.tag = "inbound/include-ports";
      in.push_back(r);
      return;
    }
    if (!cfg_.inbound.excludePorts.empty()) {
      Rule r;
      r.proto = L4::kTcp;
      r.dport = ports(normalizePorts(cfg_.inbound.excludePorts));
      r.action = action::Return{};
      r.tag = "inbound/exclude-ports";
      in.push_back(r);
    }
    Rule r;
    r.proto = L4::kTcp;
    r.action = action::Jump{ChainId::kInboundRedirect};
    r.tag = "inbound/redirect";
    in.push_back(r);
  }

  void outbound() {
    auto& out = chain(ChainId::kOutbound);
    if (!cfg_.outbound.enabled) {
      Rule r;
      r.proto = L4::kTcp;
      r.action = action::Return{};
      r.tag = "outbound/disabled";
      out.push_back(r);
      return;
    }
    const auto& lo = facts_.loopbackIface;
    if (cfg_.outbound.includePorts.empty() && !cfg_.outbound.excludePorts.empty()) {
      Rule r;
      r.proto = L4::kTcp;
      r.dport = ports(normalizePorts(cfg_.outbound.excludePorts));
      r.action = action::Return{};
      r.tag = "outbound/exclude-ports";
      out.push_back(r);
    }
    {
      // Envoy's inbound passthrough connects to the application from 127.0.0.6 / ::6 over
      // loopback: never redirect those again.
      Rule r;
      r.src = AddrMatch{{kPassthroughV4, kPassthroughV6}, false};
      r.outIface = IfaceMatch{lo, false};
      r.action = action::Return{};
      r.tag = "outbound/inbound-passthrough";
      out.push_back(r);
    }
    if (cfg_.inbound.enabled) {
      // The sidecar talking to the pod's own address over loopback is inbound traffic.
      Rule r;
      r.proto = L4::kTcp;
      r.outIface = IfaceMatch{lo, false};
      r.dst = AddrMatch{{kLocalhostV4, kLocalhostV6}, true};
      r.uid = UidMatch{uid_, false};
      r.action = action::Jump{ChainId::kInboundRedirect};
      r.tag = "outbound/sidecar-to-self-as-inbound";
      out.push_back(r);
    }
    {
      Rule r;
      r.proto = L4::kTcp;
      r.outIface = IfaceMatch{lo, false};
      r.uid = UidMatch{uid_, true};
      r.action = action::Return{};
      r.tag = "outbound/app-loopback";
      out.push_back(r);
    }
    {
      Rule r;
      r.uid = UidMatch{uid_, false};
      r.action = action::Return{};
      r.tag = "outbound/sidecar";
      out.push_back(r);
    }
    {
      Rule r;
      r.dst = AddrMatch{{kLocalhostV4, kLocalhostV6}, false};
      r.action = action::Return{};
      r.tag = "outbound/localhost";
      out.push_back(r);
    }
    Rule r;
    r.action = action::Jump{ChainId::kOutboundRedirect};
    if (!cfg_.outbound.includePorts.empty()) {
      r.proto = L4::kTcp;
      r.dport = ports(normalizePorts(cfg_.outbound.includePorts));
      r.tag = "outbound/include-ports";
    } else {
      r.tag = "outbound/redirect";
    }
    out.push_back(r);
  }

  void redirects() {
    auto& in = chain(ChainId::kInboundRedirect);
    Rule r;
    r.proto = L4::kTcp;
    r.action = action::Redirect{cfg_.inbound.port};
    r.tag = "inbound-redirect";
    if (cfg_.inbound.port == cfg_.inbound.portV6 || !facts_.ipv6) {
      in.push_back(r);
    } else {
      r.family = Family::kV4;
      in.push_back(r);
      r.family = Family::kV6;
      r.action = action::Redirect{cfg_.inbound.portV6};
      in.push_back(r);
    }
    Rule o;
    o.proto = L4::kTcp;
    o.action = action::Redirect{cfg_.outbound.port};
    o.tag = "outbound-redirect";
    chain(ChainId::kOutboundRedirect).push_back(o);
  }

  const Config& cfg_;
  const Facts& facts_;
  UidRange uid_;
  std::vector<Rule> chains_[9];
};

}  // namespace

Model build(const config::Config& cfg, const config::Facts& facts) {
  return Builder(cfg, facts).build();
}

}  // namespace kt::rules
