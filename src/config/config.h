// The validated configuration of one install: a plain struct, filled by the config stage
// (src/config/loader.h) from defaults, config file, annotations, environment and flags.
//
// Everything downstream (rule builder, eBPF plan, backends, CNI) reads only this struct, the
// RunOptions that say how the run goes, and the Facts gathered at run time
// (src/config/facts.h); nothing downstream parses text again. Once the config stage has
// returned them, Config and RunOptions are read-only: nothing downstream writes to them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/net.h"

namespace kt::config {

enum class IpFamilyMode { kDualStack, kIpv4 };

// Which kernel mechanism applies the configuration. kAuto resolves to kIptables unless the
// annotations select eBPF or the native nftables engine.
enum class Backend { kAuto, kIptables, kIptablesLegacy, kIptablesNft, kNftables, kEbpf };

enum class Protocol { kTcp, kUdp };

// The one table of backend names (flags, config file, annotations, the CNI administrator's
// allowed_backends, messages, help), in the order they are listed.
struct BackendName {
  Backend backend;
  const char* name;
};
inline constexpr std::array<BackendName, 6> kBackendNames{{
    {Backend::kAuto, "auto"},
    {Backend::kIptables, "iptables"},
    {Backend::kIptablesLegacy, "iptables-legacy"},
    {Backend::kIptablesNft, "iptables-nft"},
    {Backend::kNftables, "nftables"},
    {Backend::kEbpf, "ebpf"},
}};

const char* backendName(Backend b);  // "auto", "iptables", ..., "ebpf"
std::optional<Backend> backendByName(std::string_view name);
// Every name of kBackendNames, separated by `sep`, the last two by `lastSep`:
// "auto, iptables, ... or ebpf".
std::string backendNameList(std::string_view sep, std::string_view lastSep);
const char* ipFamilyModeName(IpFamilyMode m);  // "dualstack" / "ipv4"

// "Normalized" below: a list as normalizePorts / normalizeCidrs (base/net.h) return it: sorted,
// overlapping and adjacent port ranges merged, prefixes covered by another one dropped. The
// config stage normalizes every list once (normalizeLists); the rule builder, the eBPF plan and
// the nft set encoding take the lists as they are and do not sort or merge them again.

// One `[proto:][ports:]uids` entry of --exclude-outbound-ports-for-uids.
struct UidPortExclusion {
  std::vector<Protocol> protocols;  // tcp and/or udp, never empty
  std::vector<PortRange> ports;     // normalized; empty = every port
  UidRange uids;
  bool operator==(const UidPortExclusion&) const = default;
};

// kumaDPUser as given, parsed: a uid, or a user name that gatherFacts() looks up, or neither
// (the default: uid 5678 if it exists, else user kuma-dp, else the numeric 5678). Resolved into
// Facts::kumaDpUid.
struct SidecarUser {
  std::optional<uint32_t> uid;  // 0-4294967294
  std::string name;             // a user name; empty when uid is set
  static SidecarUser ofUid(uint32_t uid) { return SidecarUser{uid, {}}; }
  static SidecarUser named(std::string name) { return SidecarUser{std::nullopt, std::move(name)}; }
  bool isDefault() const { return !uid && name.empty(); }
  std::string str() const;  // "5678", "kuma-dp", "" for the default
  bool operator==(const SidecarUser&) const = default;
};

struct Inbound {
  bool enabled = true;  // false for gateways: the inbound chain only RETURNs
  uint16_t port = 15006;
  uint16_t portV6 = 15010;              // IPv6 inbound redirect port; 0 = no IPv6 rules at all
  std::vector<PortRange> excludePorts;  // normalized; with the probe proxy port
  std::vector<PortRange> includePorts;  // normalized; config file only; non-empty = only these
  std::vector<Cidr> excludeIps;         // normalized; sources never redirected; both families
  bool insertInsteadOfAppend = false;   // -I PREROUTING instead of -A
  // kuma.io/application-probe-proxy-port (0 = none). The loader has already added it to
  // excludePorts; kept for provenance and validation, backends need not read it.
  uint16_t applicationProbeProxyPort = 0;
  bool operator==(const Inbound&) const = default;
};

struct Outbound {
  bool enabled = true;
  uint16_t port = 15001;
  std::vector<PortRange> excludePorts;  // normalized
  std::vector<PortRange> includePorts;  // normalized
  std::vector<Cidr> excludeIps;         // normalized; destinations never redirected; both families
  std::vector<UidPortExclusion> excludePortsForUids;
  bool insertInsteadOfAppend = false;
  bool operator==(const Outbound&) const = default;
};

struct Dns {
  bool enabled = false;     // --redirect-dns or --redirect-all-dns-traffic
  bool captureAll = false;  // all UDP/53 vs only the resolv.conf nameservers
  uint16_t port = 15053;
  bool conntrackZoneSplit = true;  // false with --skip-dns-conntrack-zone-split
  std::string resolvConfPath = "/etc/resolv.conf";
  bool operator==(const Dns&) const = default;
};

struct Ebpf {
  bool enabled = false;
  // The pod's own addresses, at most one per family: --ebpf-instance-ip, else the variable
  // named by instanceIpEnvVarName (the loader reads it), else in CNI mode the interface
  // plugin's result. Empty = not given (the loader requires it for the eBPF backend).
  std::vector<IpAddress> instanceIps;
  std::string instanceIpEnvVarName = "INSTANCE_IP";
  std::string bpffsPath = "/run/kuma/bpf";
  std::string cgroupPath = "/sys/fs/cgroup";
  std::string programsSourcePath;  // empty = the objects embedded in the binary
  // Object file name -> lower-case hex SHA-256 the node administrator accepts for that file
  // from programsSourcePath besides the embedded object's own bytes.
  std::map<std::string, std::string> programsSha256;
  std::string tcAttachIface;  // empty = first interface that is up and not loopback
  // Root-only directory of the records of what installs created (a bpffs mount and its
  // directories), so uninstall removes exactly those (backend/ebpf/created.h). Not a setting:
  // the CNI plugin derives it from its state_dir, tests point it elsewhere.
  std::string stateDir = "/run/kuma-tproxy/ebpf";
  bool operator==(const Ebpf&) const = default;
};

struct Retry {
  uint32_t maxRetries = 4;  // retries after the first attempt
  std::chrono::milliseconds sleepBetweenRetries{2000};
  bool operator==(const Retry&) const = default;
};

struct Config {
  // kuma.io/transparent-proxying: disabled = nothing to install.
  bool transparentProxyEnabled = true;
  SidecarUser kumaDpUser;
  IpFamilyMode ipFamilyMode = IpFamilyMode::kDualStack;
  // True when dualstack was asked for explicitly by a flag or an environment variable: then a
  // namespace without IPv6 is an error instead of a warning. Annotations and config files do
  // not count: Kuma's injector and its default ConfigMap write `dualstack` for every pod, also
  // on clusters without IPv6.
  bool ipFamilyModeExplicit = false;
  Inbound inbound;
  Outbound outbound;
  Dns dns;
  bool dropInvalidPackets = false;
  bool logs = false;  // --iptables-logs: LOG rules at the top of nat PREROUTING/OUTPUT
  uint8_t logLevel = 7;
  bool comments = true;  // false with --disable-comments
  // iptables-restore knobs.
  uint32_t waitSeconds = 5;
  uint32_t waitIntervalMicros = 0;
  Retry retry;
  Ebpf ebpf;
  Backend backend = Backend::kAuto;

  bool ipv6Requested() const {
    return ipFamilyMode == IpFamilyMode::kDualStack && inbound.portV6 != 0;
  }
  // The backend after resolving kAuto.
  Backend effectiveBackend() const;
  bool operator==(const Config&) const = default;
};

// Normalizes every port and address list of cfg in place (the uid exclusions' ports too). The
// config stage's one normalization step; code that builds a Config by hand calls it too.
void normalizeLists(Config& cfg);
// The name of the first list of cfg that is not normalized ("outbound.excludeIps"), if any.
std::optional<std::string> unnormalizedList(const Config& cfg);
// For the consumers of the lists (rule builder, eBPF plan): returns cfg itself when its lists
// are normalized, which is one linear pass; otherwise (a caller that bypassed the config stage)
// logs an error naming the list and `user`, and returns a normalized copy held in `copy`.
const Config& withNormalizedLists(const Config& cfg, std::optional<Config>& copy,
                                  std::string_view user);
// How one run goes, as opposed to what it installs (Config). Filled by the config stage from
// the same settings table (--dry-run, --netns, --verbose, the config file's cniMode) and by the
// command that runs (uninstall's --ebpf-all, the CNI plugin's CNI_NETNS).
struct RunOptions {
  bool dryRun = false;    // print what would be done; change nothing
  std::string netnsPath;  // --netns: enter this network namespace first; empty = stay
  // CNI mode: numeric uids only (no NSS lookups), per-namespace xtables lock.
  bool cniMode = false;
  // `uninstall --ebpf-all`: also remove the node-wide eBPF programs, links and maps, not only
  // what belongs to this pod. Never set by install.
  bool uninstallAll = false;
  bool verbose = false;  // verbose rules (comments in dry-run output) and per-step logs
  bool operator==(const RunOptions&) const = default;
};

}  // namespace kt::config
