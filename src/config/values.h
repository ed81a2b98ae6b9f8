// Value grammars of the config stage (kuma.md 1.1 and 2.4), shared by every source.
//
// Each parser takes one text value and returns the parsed value or a kConfig Error whose message
// names the bad value (quoted with quoteForMessage) but not its source; the caller prefixes the
// flag, annotation, variable or file line. List parsers report every bad item of the text in
// one message. Limits on sizes are part of the grammar and are stated in the messages.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/net.h"
#include "base/result.h"
#include "config/config.h"

namespace kt::config {

// Longest accepted text of one value (a flag value, annotation value, variable, list item...):
// room for either list at its entry limit written out in full, e.g. all 65535 ports one by one
// (~380 KB) or 10 000 IPv6 /128s (~440 KB).
inline constexpr size_t kMaxValueBytes = 512 * 1024;
// Most entries in one port list, one address list, and one uid-exclusion list after merging
// all the values of a source (before duplicates and overlaps are merged). No port list can name
// more than 65535 distinct ports; 10 000 addresses cover the largest exclusion lists seen in
// meshes, and the backends stay linear in both (interval sets in nftables, 15 ports per
// multiport rule in iptables), so their cost is bounded (docs/bench.md).
inline constexpr size_t kMaxPortEntries = 65536;
inline constexpr size_t kMaxCidrEntries = 10000;
inline constexpr size_t kMaxUidExclusions = 64;
// Most port entries in one uid exclusion. Kept small: the ports of every uid exclusion become
// rules of their own (per protocol and family), so 64 entries of 65536 ports would be half a
// million iptables rules.
inline constexpr size_t kMaxUidPortEntries = 512;
// Longest accepted sleep between retries.
inline constexpr std::chrono::milliseconds kMaxSleepBetweenRetries = std::chrono::hours(1);

// Flags, environment and config file: Go's strconv.ParseBool (1 t T TRUE true True, 0 f F
// FALSE false False).
Result<bool> parseBool(std::string_view text);
// Annotations, Kuma's "enabled" style: exactly enabled|disabled|true|false|yes|no.
Result<bool> parseEnabled(std::string_view text);
// Annotations, Kuma's "boolean" style: exactly true|false|yes|no.
Result<bool> parseYesNo(std::string_view text);

// One port, decimal, 1-65535 (0 too when allowZero). Kuma's message:
// "value 'x' is not a valid port (uint16 in the range [1, 65535])".
Result<uint16_t> parsePortValue(std::string_view text, bool allowZero = false);
// A comma list of ports and `a-b` ranges (our extension), items trimmed, empty items skipped.
// Not normalized (the loader normalizes the merged lists: config.h normalizeLists).
Result<std::vector<PortRange>> parsePortList(std::string_view text);
// A comma list of IPv4/IPv6 addresses or CIDRs, items trimmed, empty items skipped.
Result<std::vector<Cidr>> parseCidrList(std::string_view text);
// One `[proto:][ports:]uids` entry of --exclude-outbound-ports-for-uids, with Kuma's messages.
// Its ports are not normalized yet (normalizeLists does it with the other lists).
Result<UidPortExclusion> parseUidExclusion(std::string_view text);

// Go's time.ParseDuration syntax ("2s", "500ms", "1m30s", "1.5h", "0"), not negative, at most
// kMaxSleepBetweenRetries; truncated to whole milliseconds.
Result<std::chrono::milliseconds> parseGoDuration(std::string_view text);
// Decimal unsigned integer in [0, max]; the message states the range.
Result<uint32_t> parseUint(std::string_view text, uint32_t max);

// "dualstack" or "ipv4", case-sensitive.
Result<IpFamilyMode> parseIpFamilyMode(std::string_view text);
// One name of kBackendNames (config.h).
Result<Backend> parseBackend(std::string_view text);

// A uid (0-4294967294) or a POSIX-style user name; empty = the default user.
Result<SidecarUser> parseUser(std::string_view text);
// A path: not empty, no control characters. `absolute` also requires a leading '/'.
Result<std::string> parsePath(std::string_view text, bool absolute);
// A path that may be empty (= the built-in choice).
Result<std::string> parseOptionalPath(std::string_view text);
// A network interface name as the kernel accepts it (dev_valid_name); empty = automatic.
Result<std::string> parseInterfaceName(std::string_view text);
// An environment variable name ([A-Za-z_][A-Za-z0-9_]*).
Result<std::string> parseEnvVarName(std::string_view text);
// An IPv4 or IPv6 address; empty = unset.
// --ebpf-instance-ip: one address, or a comma list with at most one per family; empty text =
// none. Items are trimmed.
Result<std::vector<IpAddress>> parseInstanceIps(std::string_view text);
// "10.0.0.1" / "10.0.0.1,fd00::1": the text parseInstanceIps reads back.
std::string formatIps(const std::vector<IpAddress>& ips);
// SHA-256 digests of eBPF object files: a comma list of `file=hex` (64 hex digits; the file a
// plain name such as kuma_tproxy_cgroup.bpf.o), items trimmed, empty = none. Returned in
// canonical form: sorted by file, lower-case hex.
Result<std::map<std::string, std::string>> parseObjectDigests(std::string_view text);
// Checks one `file` -> `hex` pair of parseObjectDigests (also used for the CNI network
// configuration's ebpf_programs_sha256 object); returns the lower-case hex.
Result<std::string> checkObjectDigest(std::string_view file, std::string_view hex);
std::string formatObjectDigests(const std::map<std::string, std::string>& digests);

// Canonical text of values, parseable again by the parsers above (used by provenance and the
// help text): "80,8000-9000", "10.0.0.0/8,fe80::/10", "tcp,udp:*:5678", "1m30s".
std::string formatPorts(const std::vector<PortRange>& ports);
std::string formatCidrs(const std::vector<Cidr>& cidrs);
std::string formatUidExclusion(const UidPortExclusion& e);
std::string formatGoDuration(std::chrono::milliseconds d);

}  // namespace kt::config
