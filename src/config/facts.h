// Facts about the machine that the rules depend on but the configuration does not say:
// the resolved sidecar uid, the nameservers, whether IPv6 rules go in, and a few probes.
//
// gatherFacts() fills the parts that need only files (never the kernel's netfilter state); the
// pod-network probe (backend/pod_network.h) refines the loopback interface and ipv6 once per run in
// the target namespace, before any backend is made. Dry-run uses the same functions (and probes
// nothing), so it prints what install would apply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/net.h"
#include "base/result.h"
#include "config/config.h"

namespace kt::config {

struct Facts {
  uint32_t kumaDpUid = 5678;
  // Nameservers of resolv.conf, only when DNS redirection is on and not capture-all.
  std::vector<IpAddress> dnsServers;
  // Whether IPv6 rules are generated: starts as cfg.ipv6Requested(); the pod-network probe
  // turns it off (with a warning) when the namespace has no IPv6 address beyond loopback. A
  // backend may still leave IPv6 out on its own (missing tools, ::6 not addable): it keeps
  // that decision itself, these facts stay as they are.
  bool ipv6 = true;
  // iptables backends: nat chain DOCKER_OUTPUT exists, so the sidecar's DNS jumps there. Not a
  // pod-network fact: false in the run's facts; the iptables backend sets it in the copy its
  // rules are built from, after reading the nat table.
  bool dockerOutputChain = false;
  std::string loopbackIface = "lo";
  uint32_t loopbackIndex = 0;  // of loopbackIface; 0 = not probed (looked up by name when used)
  bool operator==(const Facts&) const = default;
};

// Resolves the sidecar user (numeric values and run.cniMode read no user database; names and
// the default look in /etc/passwd, see parsePasswd) and reads the nameservers from
// cfg.dns.resolvConfPath when needed. Errors are kConfig and name the file or user.
Result<Facts> gatherFacts(const Config& cfg, const RunOptions& run);

// One account of /etc/passwd.
struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  bool operator==(const PasswdEntry&) const = default;
};

// Parses /etc/passwd text the way kumactl looks users up (Go's os/user without cgo reads this
// file and nothing else; no NSS module is loaded into a root process): `name:pw:uid:...` lines
// with at least the uid field; empty lines, comments (#) and NIS compat entries (+, -) are
// skipped, as are lines whose uid is not a decimal number below 2^32 - 1.
std::vector<PasswdEntry> parsePasswd(std::string_view text);

// Parses resolv.conf text: every `nameserver ADDR` line (IPv6 zone suffixes such as %eth0 are
// dropped). Unparsable addresses are skipped with a warning, as libc does.
std::vector<IpAddress> parseResolvConf(std::string_view text);

}  // namespace kt::config
