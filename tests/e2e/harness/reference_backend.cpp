// The reference backend (see backends.h): Kuma's rule set for the e2e scenario, written out by
// hand from kuma.md section 3.1 (capture-all DNS with the conntrack zone split, one excluded
// outbound port, one excluded outbound IP per family, one excluded inbound port), applied with
// the nf_tables restore tools. It deliberately shares no code with the product's rule builder.
#include <string>

#include "harness/backends.h"
#include "harness/netfilter_dump.h"

namespace kt::e2e {

namespace {

struct FamilyValues {
  const char* excludedIp;
  const char* passthrough;
  const char* localhost;
  uint16_t inboundPort;
};

std::string rules(const FamilyValues& v) {
  const std::string uid = std::to_string(kSidecarUid);
  const std::string dnsProxy = std::to_string(kDnsProxyPort);
  std::string r;
  r += "*raw\n";
  r += "-A OUTPUT -p udp -m udp --dport 53 -m owner --uid-owner " + uid + " -j CT --zone 1\n";
  r += "-A OUTPUT -p udp -m udp --sport " + dnsProxy + " -m owner --uid-owner " + uid +
       " -j CT --zone 2\n";
  r += "-A OUTPUT -p udp -m udp --dport 53 -j CT --zone 2\n";
  r += "-A PREROUTING -p udp -m udp --sport 53 -j CT --zone 1\n";
  r += "COMMIT\n";
  r += "*nat\n";
  r += ":KUMA_MESH_INBOUND - [0:0]\n";
  r += ":KUMA_MESH_OUTBOUND - [0:0]\n";
  r += ":KUMA_MESH_INBOUND_REDIRECT - [0:0]\n";
  r += ":KUMA_MESH_OUTBOUND_REDIRECT - [0:0]\n";
  r += "-A PREROUTING -p tcp -j KUMA_MESH_INBOUND\n";
  r += "-A OUTPUT -d " + std::string(v.excludedIp) + " -j RETURN\n";
  r += "-A OUTPUT -p udp -m udp --dport 53 -m owner --uid-owner " + uid + " -j RETURN\n";
  r += "-A OUTPUT -p udp -m udp --dport 53 -j REDIRECT --to-ports " + dnsProxy + "\n";
  r += "-A OUTPUT -p tcp -m tcp --dport 53 -m owner ! --uid-owner " + uid + " -j RETURN\n";
  r += "-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND\n";
  r += "-A KUMA_MESH_INBOUND -p tcp -m tcp --dport " + std::to_string(kExcludedInboundPort) +
       " -j RETURN\n";
  r += "-A KUMA_MESH_INBOUND -p tcp -j KUMA_MESH_INBOUND_REDIRECT\n";
  r += "-A KUMA_MESH_OUTBOUND -p tcp -m tcp --dport " + std::to_string(kExcludedOutboundPort) +
       " -j RETURN\n";
  r += "-A KUMA_MESH_OUTBOUND -s " + std::string(v.passthrough) + " -o lo -j RETURN\n";
  r += "-A KUMA_MESH_OUTBOUND ! -d " + std::string(v.localhost) + " -o lo -p tcp -m owner " +
       "--uid-owner " + uid + " -j KUMA_MESH_INBOUND_REDIRECT\n";
  r += "-A KUMA_MESH_OUTBOUND -o lo -p tcp -m owner ! --uid-owner " + uid + " -j RETURN\n";
  r += "-A KUMA_MESH_OUTBOUND -m owner --uid-owner " + uid + " -j RETURN\n";
  r += "-A KUMA_MESH_OUTBOUND -d " + std::string(v.localhost) + " -j RETURN\n";
  r += "-A KUMA_MESH_OUTBOUND -j KUMA_MESH_OUTBOUND_REDIRECT\n";
  r += "-A KUMA_MESH_INBOUND_REDIRECT -p tcp -j REDIRECT --to-ports " +
       std::to_string(v.inboundPort) + "\n";
  r += "-A KUMA_MESH_OUTBOUND_REDIRECT -p tcp -j REDIRECT --to-ports " +
       std::to_string(kOutboundPort) + "\n";
  r += "COMMIT\n";
  return r;
}

// Without --noflush, restoring empty tables flushes them and deletes their user chains. The
// test's pod namespace holds nothing else, so this is a complete uninstall there.
constexpr const char* kFlush = "*raw\nCOMMIT\n*nat\nCOMMIT\n";

Status restore(const ScratchNetns& ns, const char* tool, const std::vector<std::string>& args,
               const std::string& input) {
  KT_TRY(ns.check(tool, args, input));
  return okStatus();
}

}  // namespace

BackendSpec referenceBackend() {
  BackendSpec b;
  b.name = "reference";
  b.install = [](const InstallEnv& env, const Scenario& s) -> Status {
    const ScratchNetns& pod = env.topo->pod();
    // Replace, never append: a second install gives the same rules as the first.
    KT_TRY(restore(pod, "iptables-nft-restore", {},
                   rules({"10.0.0.3/32", "127.0.0.6/32", "127.0.0.1/32", kInboundPort})));
    if (s.ipv6Redirected()) {
      KT_TRY(restore(pod, "ip6tables-nft-restore", {},
                     rules({"fd00::3/128", "::6/128", "::1/128", kInboundPortV6})));
      // The sidecar's IPv6 passthrough source, as kuma-tproxy adds it.
      KT_TRY(pod.ipBatch("addr replace ::6/128 dev lo\n"));
    }
    return okStatus();
  };
  b.uninstall = [](const InstallEnv& env) -> Status {
    KT_TRY(restore(env.topo->pod(), "iptables-nft-restore", {}, kFlush));
    return restore(env.topo->pod(), "ip6tables-nft-restore", {}, kFlush);
  };
  b.state = [](const InstallEnv& env) { return dumpNetfilter(env.topo->pod()); };
  b.leftovers = [](const InstallEnv& env) -> Result<std::vector<std::string>> {
    KT_ASSIGN_OR_RETURN(std::string dump, dumpNetfilter(env.topo->pod()));
    return ourLines(dump);
  };
  b.notReady = [](const InstallEnv&) { return std::optional<std::string>(); };
  return b;
}

}  // namespace kt::e2e
