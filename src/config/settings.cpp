#include "config/settings.h"

#include <cctype>
#include <map>
#include <type_traits>

#include "base/strings.h"
#include "config/values.h"

namespace kt::config {

namespace {

std::string showValue(bool v) {
  return v ? "true" : "false";
}
std::string showValue(uint16_t v) {
  return std::to_string(v);
}
std::string showValue(uint32_t v) {
  return std::to_string(v);
}
std::string showValue(const std::vector<PortRange>& v) {
  return formatPorts(v);
}
std::string showValue(const std::vector<Cidr>& v) {
  return formatCidrs(v);
}
std::string showValue(const std::vector<UidPortExclusion>& v) {
  std::vector<std::string> parts;
  for (const auto& e : v)
    parts.push_back(formatUidExclusion(e));
  return join(parts, ";");
}
std::string showValue(std::chrono::milliseconds v) {
  return formatGoDuration(v);
}
std::string showValue(IpFamilyMode v) {
  return ipFamilyModeName(v);
}
std::string showValue(Backend v) {
  return backendName(v);
}
std::string showValue(const SidecarUser& v) {
  return v.str();
}
std::string showValue(const std::vector<IpAddress>& v) {
  return formatIps(v);
}
std::string showValue(const std::string& v) {
  return v;
}

// Builds the declarative part of a Setting (GCC 12 warns about partial designated
// initializers under -Wextra, so the table chains setters instead).
class Def {
 public:
  Def(std::string_view key, ValueKind kind) {
    s_.key = key;
    s_.kind = kind;
  }
  Def&& flags(std::vector<std::string_view> f) && {
    s_.flags = std::move(f);
    return std::move(*this);
  }
  Def&& annotations(std::vector<std::string_view> a) && {
    s_.annotations = std::move(a);
    return std::move(*this);
  }
  // Annotations spell this boolean true|false|yes|no (not enabled|disabled).
  Def&& yesNo() && {
    s_.annotationBool = AnnotationBool::kYesNo;
    return std::move(*this);
  }
  // Not a config-file key (and so no environment variable).
  Def&& notInFile() && {
    s_.inFile = false;
    return std::move(*this);
  }
  // Node-level (Scope::kNode): only the node administrator sets it.
  Def&& node() && {
    s_.scope = Scope::kNode;
    return std::move(*this);
  }
  Def&& max(uint32_t m) && {
    s_.max = m;
    return std::move(*this);
  }
  Def&& help(std::string_view h) && {
    s_.help = h;
    return std::move(*this);
  }
  operator Setting() && { return std::move(s_); }  // NOLINT(google-explicit-constructor)

 private:
  Setting s_;
};

// A setting stored in one field of Config or RunOptions: `get` is a generic lambda returning a
// reference to the field of a const or non-const SettingTarget, so the field is named once.
template <class Get>
Setting field(Setting s, Get get) {
  using T = std::remove_cvref_t<decltype(get(std::declval<SettingTarget&>()))>;
  s.apply = [get](SettingTarget& c, const Value& v) { get(c) = std::get<T>(v); };
  s.show = [get](const SettingTarget& c) { return showValue(get(c)); };
  return s;
}

// A boolean setting stored inverted (Kuma's "skip"/"disabled" keys over our positive fields).
template <class Get>
Setting inverted(Setting s, Get get) {
  s.apply = [get](SettingTarget& c, const Value& v) { get(c) = !std::get<bool>(v); };
  s.show = [get](const SettingTarget& c) { return showValue(!get(c)); };
  return s;
}

using K = ValueKind;

// The --backend help text; static, as Setting::help is a view.
std::string_view backendChoices() {
  static const std::string text = backendNameList(", ", " or ");
  return text;
}

std::vector<Setting> buildTable() {
  std::vector<Setting> t;
  t.push_back(field(
      Def("kumaDPUser", K::kUser)
          .flags({"--kuma-dp-user", "--kuma-dp-uid"})
          .annotations({"kuma.io/sidecar-uid"})
          .help("uid or user name of the sidecar (kuma-dp); default: uid 5678 if it "
                "exists, else user kuma-dp, else uid 5678"),
      [](auto& c) -> auto& { return c.config.kumaDpUser; }));
  t.push_back(field(
      Def("ipFamilyMode", K::kIpFamilyMode)
          .flags({"--ip-family-mode"})
          .annotations({"kuma.io/transparent-proxying-ip-family-mode"})
          .help("dualstack or ipv4"),
      [](auto& c) -> auto& { return c.config.ipFamilyMode; }));
  t.push_back(field(
      Def("redirect.inbound.enabled", K::kBool)
          .flags({"--redirect-inbound"})
          .help("redirect inbound traffic to the sidecar (false for gateways)"),
      [](auto& c) -> auto& { return c.config.inbound.enabled; }));
  t.push_back(field(
      Def("redirect.inbound.port", K::kPort)
          .flags({"--redirect-inbound-port"})
          .annotations({"kuma.io/transparent-proxying-inbound-port"})
          .help("port the sidecar listens on for inbound traffic"),
      [](auto& c) -> auto& { return c.config.inbound.port; }));
  t.push_back(field(
      Def("redirect.inbound.portIPv6", K::kPortOrZero)
          .flags({"--redirect-inbound-port-v6"})
          .annotations({"kuma.io/transparent-proxying-inbound-v6-port"})
          .help("IPv6 inbound redirect port; 0 = no IPv6 rules at all"),
      [](auto& c) -> auto& { return c.config.inbound.portV6; }));
  t.push_back(field(
      Def("redirect.inbound.includePorts", K::kPortList)
          .help("redirect only these inbound ports (config file)"),
      [](auto& c) -> auto& { return c.config.inbound.includePorts; }));
  t.push_back(field(
      Def("redirect.inbound.excludePorts", K::kPortList)
          .flags({"--exclude-inbound-ports"})
          .annotations({"traffic.kuma.io/exclude-inbound-ports"})
          .help("inbound ports never redirected (comma list, a-b ranges)"),
      [](auto& c) -> auto& { return c.config.inbound.excludePorts; }));
  t.push_back(field(
      Def("redirect.inbound.excludePortsForIPs", K::kCidrList)
          .flags({"--exclude-inbound-ips"})
          .annotations({"traffic.kuma.io/exclude-inbound-ips"})
          .help("source addresses/CIDRs never redirected (comma list, repeatable)"),
      [](auto& c) -> auto& { return c.config.inbound.excludeIps; }));
  t.push_back(field(
      Def("redirect.inbound.insertRedirectInsteadOfAppend", K::kBool)
          .help("insert the PREROUTING jump instead of appending it (config file)"),
      [](auto& c) -> auto& { return c.config.inbound.insertInsteadOfAppend; }));
  t.push_back(field(
      Def("applicationProbeProxyPort", K::kPortOrZero)
          .notInFile()
          .annotations({"kuma.io/application-probe-proxy-port"})
          .help("added to the excluded inbound ports; 0 = none"),
      [](auto& c) -> auto& { return c.config.inbound.applicationProbeProxyPort; }));
  t.push_back(field(
      Def("redirect.outbound.enabled", K::kBool)
          .help("redirect outbound traffic to the sidecar (config file)"),
      [](auto& c) -> auto& { return c.config.outbound.enabled; }));
  t.push_back(field(
      Def("redirect.outbound.port", K::kPort)
          .flags({"--redirect-outbound-port"})
          .annotations({"kuma.io/transparent-proxying-outbound-port"})
          .help("port the sidecar listens on for outbound traffic"),
      [](auto& c) -> auto& { return c.config.outbound.port; }));
  t.push_back(field(
      Def("redirect.outbound.includePorts", K::kPortList)
          .help("redirect only these outbound ports (config file)"),
      [](auto& c) -> auto& { return c.config.outbound.includePorts; }));
  t.push_back(field(
      Def("redirect.outbound.excludePorts", K::kPortList)
          .flags({"--exclude-outbound-ports"})
          .annotations({"traffic.kuma.io/exclude-outbound-ports"})
          .help("outbound ports never redirected (comma list, a-b ranges)"),
      [](auto& c) -> auto& { return c.config.outbound.excludePorts; }));
  t.push_back(field(
      Def("redirect.outbound.excludePortsForIPs", K::kCidrList)
          .flags({"--exclude-outbound-ips"})
          .annotations({"traffic.kuma.io/exclude-outbound-ips"})
          .help("destination addresses/CIDRs never redirected (comma list, "
                "repeatable)"),
      [](auto& c) -> auto& { return c.config.outbound.excludeIps; }));
  t.push_back(field(
      Def("redirect.outbound.excludePortsForUIDs", K::kUidExclusions)
          .flags({"--exclude-outbound-ports-for-uids"})
          .annotations({"traffic.kuma.io/exclude-outbound-ports-for-uids"})
          .help("[proto:][ports:]uids whose outbound traffic is not redirected "
                "(repeatable)"),
      [](auto& c) -> auto& { return c.config.outbound.excludePortsForUids; }));
  t.push_back(field(
      Def("redirect.outbound.insertRedirectInsteadOfAppend", K::kBool)
          .help("insert the OUTPUT jump instead of appending it (config file)"),
      [](auto& c) -> auto& { return c.config.outbound.insertInsteadOfAppend; }));
  t.push_back(field(
      Def("redirect.dns.enabled", K::kBool)
          .flags({"--redirect-dns"})
          .help("redirect DNS queries to the nameservers of resolv.conf to the DNS "
                "proxy"),
      [](auto& c) -> auto& { return c.config.dns.enabled; }));
  t.push_back(field(
      Def("redirect.dns.captureAll", K::kBool)
          .flags({"--redirect-all-dns-traffic"})
          .help("redirect all DNS queries (UDP port 53) to the DNS proxy"),
      [](auto& c) -> auto& { return c.config.dns.captureAll; }));
  t.push_back(field(
      Def("redirect.dns.port", K::kPort)
          .flags({"--redirect-dns-port"})
          .annotations({"kuma.io/builtindnsport", "kuma.io/builtin-dns-port"})
          .help("port of the DNS proxy"),
      [](auto& c) -> auto& { return c.config.dns.port; }));
  t.push_back(inverted(
      Def("redirect.dns.skipConntrackZoneSplit", K::kBool)
          .flags({"--skip-dns-conntrack-zone-split"})
          .help("do not split DNS flows into separate conntrack zones"),
      [](auto& c) -> auto& { return c.config.dns.conntrackZoneSplit; }));
  t.push_back(field(
      Def("redirect.dns.resolvConfigPath", K::kPath)
          .node()
          .help("resolv.conf read by --redirect-dns (config file)"),
      [](auto& c) -> auto& { return c.config.dns.resolvConfPath; }));
  t.push_back(field(
      Def("ebpf.enabled", K::kBool)
          .flags({"--ebpf-enabled"})
          .annotations({"kuma.io/transparent-proxying-ebpf"})
          .help("use the eBPF backend"),
      [](auto& c) -> auto& { return c.config.ebpf.enabled; }));
  t.push_back(field(
      Def("ebpf.instanceIP", K::kInstanceIps)
          .flags({"--ebpf-instance-ip"})
          .help("the pod's IP address, or its IPv4,IPv6 pair (default: $INSTANCE_IP, see "
                "ebpf.instanceIPEnvVarName)"),
      [](auto& c) -> auto& { return c.config.ebpf.instanceIps; }));
  t.push_back(field(
      Def("ebpf.instanceIPEnvVarName", K::kEnvVarName)
          .node()
          .annotations({"kuma.io/transparent-proxying-ebpf-instance-ip-env-var-name"})
          .help("variable holding the pod's IP when ebpf.instanceIP is not set"),
      [](auto& c) -> auto& { return c.config.ebpf.instanceIpEnvVarName; }));
  t.push_back(field(
      Def("ebpf.bpffsPath", K::kAbsolutePath)
          .node()
          .flags({"--ebpf-bpffs-path"})
          .annotations({"kuma.io/transparent-proxying-ebpf-bpf-fs-path"})
          .help("bpffs directory for pinned eBPF objects"),
      [](auto& c) -> auto& { return c.config.ebpf.bpffsPath; }));
  t.push_back(field(
      Def("ebpf.cgroupPath", K::kAbsolutePath)
          .node()
          .flags({"--ebpf-cgroup-path"})
          .annotations({"kuma.io/transparent-proxying-ebpf-cgroup-path"})
          .help("cgroup v2 directory the eBPF programs attach to"),
      [](auto& c) -> auto& { return c.config.ebpf.cgroupPath; }));
  t.push_back(field(
      Def("ebpf.programsSourcePath", K::kOptionalPath)
          .node()
          .flags({"--ebpf-programs-source-path"})
          .annotations({"kuma.io/transparent-proxying-ebpf-programs-source-path"})
          .help("directory of eBPF objects (default: the ones built in)"),
      [](auto& c) -> auto& { return c.config.ebpf.programsSourcePath; }));
  {
    Setting s = Def("ebpf.programsSha256", K::kObjectDigests)
                    .node()
                    .flags({"--ebpf-programs-sha256"})
                    .help(
                        "file=sha256hex,...: digests of object files the programs source "
                        "path may hold besides copies of the embedded objects");
    s.apply = [](SettingTarget& c, const Value& v) {
      // The text was checked by parseSettingValue and is in canonical form.
      auto digests = parseObjectDigests(std::get<std::string>(v));
      if (digests) c.config.ebpf.programsSha256 = std::move(digests).value();
    };
    s.show = [](const SettingTarget& c) {
      return formatObjectDigests(c.config.ebpf.programsSha256);
    };
    t.push_back(std::move(s));
  }
  t.push_back(field(
      Def("ebpf.tcAttachIface", K::kInterface)
          .flags({"--ebpf-tc-attach-iface"})
          .annotations({"kuma.io/transparent-proxying-ebpf-tc-attach-iface"})
          .help("eBPF: steer inbound connections from this interface only (default: all but lo)"),
      [](auto& c) -> auto& { return c.config.ebpf.tcAttachIface; }));
  t.push_back(field(
      Def("dropInvalidPackets", K::kBool)
          .flags({"--drop-invalid-packets"})
          .annotations({"traffic.kuma.io/drop-invalid-packets"})
          .yesNo()
          .help("drop packets conntrack marks INVALID"),
      [](auto& c) -> auto& { return c.config.dropInvalidPackets; }));
  t.push_back(field(
      Def("log.enabled", K::kBool)
          .flags({"--iptables-logs"})
          .annotations({"traffic.kuma.io/iptables-logs"})
          .yesNo()
          .help("log packets entering the rules (LOG rules)"),
      [](auto& c) -> auto& { return c.config.logs; }));
  {
    Setting s =
        Def("log.level", K::kUint).max(7).help("syslog level of the LOG rules, 0-7 (config file)");
    s.apply = [](SettingTarget& c, const Value& v) {
      c.config.logLevel = static_cast<uint8_t>(std::get<uint32_t>(v));
    };
    s.show = [](const SettingTarget& c) { return std::to_string(c.config.logLevel); };
    t.push_back(std::move(s));
  }
  t.push_back(inverted(
      Def("comments.disabled", K::kBool)
          .flags({"--disable-comments"})
          .help("do not add comments to the rules"),
      [](auto& c) -> auto& { return c.config.comments; }));
  t.push_back(field(
      Def("wait", K::kUint)
          .node()
          .flags({"--wait"})
          .max(600)
          .help("seconds iptables-restore (legacy) waits for the xtables lock"),
      [](auto& c) -> auto& { return c.config.waitSeconds; }));
  t.push_back(field(
      Def("waitInterval", K::kUint)
          .node()
          .flags({"--wait-interval"})
          .max(999999)
          .help("microseconds between xtables lock attempts (legacy)"),
      [](auto& c) -> auto& { return c.config.waitIntervalMicros; }));
  t.push_back(field(
      Def("retry.maxRetries", K::kUint)
          .node()
          .flags({"--max-retries"})
          .max(100)
          .help("retries after a failed apply"),
      [](auto& c) -> auto& { return c.config.retry.maxRetries; }));
  t.push_back(field(
      Def("retry.sleepBetweenRetries", K::kDuration)
          .node()
          .flags({"--sleep-between-retries"})
          .help("pause between retries (Go duration: 2s, 500ms, 1m30s)"),
      [](auto& c) -> auto& { return c.config.retry.sleepBetweenRetries; }));
  t.push_back(field(
      Def("backend", K::kBackend).flags({"--backend"}).help(backendChoices()),
      [](auto& c) -> auto& { return c.config.backend; }));
  t.push_back(field(
      Def("transparentProxying", K::kBool)
          .notInFile()
          .annotations({"kuma.io/transparent-proxying"})
          .help("disabled = nothing to install"),
      [](auto& c) -> auto& { return c.config.transparentProxyEnabled; }));
  t.push_back(field(
      Def("netns", K::kPath)
          .node()
          .notInFile()
          .flags({"--netns"})
          .help("enter this network namespace first (path of a netns file)"),
      [](auto& c) -> auto& { return c.run.netnsPath; }));
  t.push_back(field(
      Def("cniMode", K::kBool).node().help("numeric uids only, no NSS lookups (config file)"),
      [](auto& c) -> auto& { return c.run.cniMode; }));
  t.push_back(field(
      Def("verbose", K::kBool)
          .flags({"--verbose"})
          .help("verbose rules and provenance of each setting"),
      [](auto& c) -> auto& { return c.run.verbose; }));
  t.push_back(field(
      Def("dryRun", K::kBool)
          .node()
          .flags({"--dry-run"})
          .help("print the rules instead of applying them"),
      [](auto& c) -> auto& { return c.run.dryRun; }));
  for (auto& s : t)
    if (s.inFile) s.envName = envNameForKey(s.key);
  return t;
}

template <class KeyOf>
std::map<std::string, const Setting*, std::less<>> indexBy(KeyOf keyOf) {
  std::map<std::string, const Setting*, std::less<>> m;
  for (const auto& s : settings())
    for (const auto& k : keyOf(s))
      if (!k.empty()) m.emplace(std::string(k), &s);
  return m;
}

}  // namespace

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = buildTable();
  return table;
}

const Setting* findSetting(std::string_view key) {
  static const auto index =
      indexBy([](const Setting& s) { return std::vector<std::string_view>{s.key}; });
  auto it = index.find(key);
  return it == index.end() ? nullptr : it->second;
}

const Setting* findSettingByFlag(std::string_view flag) {
  static const auto index = indexBy([](const Setting& s) { return s.flags; });
  auto it = index.find(flag);
  return it == index.end() ? nullptr : it->second;
}

const Setting* findSettingByEnv(std::string_view name) {
  static const auto index =
      indexBy([](const Setting& s) { return std::vector<std::string_view>{s.envName}; });
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

std::vector<std::string_view> nodeSettingKeys() {
  std::vector<std::string_view> out;
  for (const auto& s : settings())
    if (s.scope == Scope::kNode) out.push_back(s.key);
  return out;
}

std::string envNameForKey(std::string_view key) {
  // Acronyms that stay one word, longest first.
  static constexpr std::string_view kAcronyms[] = {"IPv6", "UIDs", "IPs", "IP", "DP"};
  std::string out(kEnvPrefix);
  bool wordStart = true;  // at the start of a path segment
  for (size_t i = 0; i < key.size();) {
    char c = key[i];
    if (c == '.') {
      out += '_';
      wordStart = true;
      ++i;
      continue;
    }
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (!wordStart) out += '_';
      size_t len = 1;
      for (auto a : kAcronyms) {
        if (key.substr(i, a.size()) == a) {
          len = a.size();
          break;
        }
      }
      for (size_t j = i; j < i + len; ++j)
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(key[j])));
      i += len;
    } else {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      ++i;
    }
    wordStart = false;
  }
  return out;
}

bool isConfigSection(std::string_view path) {
  for (const auto& s : settings()) {
    if (!s.inFile) continue;
    if (s.key.size() > path.size() && startsWith(s.key, path) && s.key[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

Result<Value> parseSettingValue(const Setting& s, std::string_view text) {
  if (text.size() > kMaxValueBytes) {
    return Error::config("the value is " + std::to_string(text.size()) + " bytes long; at most " +
                         std::to_string(kMaxValueBytes) + " bytes are accepted");
  }
  auto wrap = [](auto r) -> Result<Value> {
    if (!r) return std::move(r).takeError();
    return Value(std::move(r).value());
  };
  switch (s.kind) {
    case K::kBool:
      return wrap(parseBool(text));
    case K::kPort:
      return wrap(parsePortValue(text, false));
    case K::kPortOrZero:
      return wrap(parsePortValue(text, true));
    case K::kPortList:
      return wrap(parsePortList(text));
    case K::kCidrList:
      return wrap(parseCidrList(text));
    case K::kUidExclusions: {
      auto e = parseUidExclusion(trim(text));
      if (!e) return std::move(e).takeError();
      return Value(std::vector<UidPortExclusion>{std::move(e).value()});
    }
    case K::kUint:
      return wrap(parseUint(text, s.max));
    case K::kDuration:
      return wrap(parseGoDuration(text));
    case K::kIpFamilyMode:
      return wrap(parseIpFamilyMode(text));
    case K::kBackend:
      return wrap(parseBackend(text));
    case K::kUser:
      return wrap(parseUser(text));
    case K::kPath:
      return wrap(parsePath(text, false));
    case K::kAbsolutePath:
      return wrap(parsePath(text, true));
    case K::kOptionalPath:
      return wrap(parseOptionalPath(text));
    case K::kInterface:
      return wrap(parseInterfaceName(text));
    case K::kEnvVarName:
      return wrap(parseEnvVarName(text));
    case K::kInstanceIps:
      return wrap(parseInstanceIps(text));
    case K::kObjectDigests: {
      auto d = parseObjectDigests(text);
      if (!d) return std::move(d).takeError();
      return Value(formatObjectDigests(*d));
    }
  }
  return Error::config("unknown value kind");
}

}  // namespace kt::config
