#include "config/facts.h"

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "base/read_file.h"
#include "base/strings.h"
#include "config/input.h"

namespace kt::config {

namespace {

constexpr uint32_t kDefaultUid = 5678;
constexpr const char* kDefaultUser = "kuma-dp";
constexpr size_t kMaxResolvConfBytes = 1024 * 1024;

constexpr const char* kPasswdPath = "/etc/passwd";
constexpr size_t kMaxPasswdBytes = 4 * 1024 * 1024;

// The accounts of /etc/passwd; none when it cannot be read (then only numeric uids work, as
// for kumactl). Read only when a user name or the default needs it.
std::vector<PasswdEntry> accounts() {
  auto text = readFile(kPasswdPath, kMaxPasswdBytes);
  if (!text) {
    spdlog::debug("no user database: {}", text.error().message());
    return {};
  }
  return parsePasswd(*text);
}

const PasswdEntry* findUid(const std::vector<PasswdEntry>& list, uint32_t uid) {
  auto it = std::find_if(list.begin(), list.end(), [&](const auto& e) { return e.uid == uid; });
  return it == list.end() ? nullptr : &*it;
}

const PasswdEntry* findName(const std::vector<PasswdEntry>& list, const std::string& name) {
  auto it = std::find_if(list.begin(), list.end(), [&](const auto& e) { return e.name == name; });
  return it == list.end() ? nullptr : &*it;
}

Result<uint32_t> resolveUid(const Config& cfg, bool cniMode) {
  // The config stage parsed the value: a uid is used as it is, only a name is looked up.
  if (cfg.kumaDpUser.uid) return *cfg.kumaDpUser.uid;
  const std::string& user = cfg.kumaDpUser.name;
  if (!user.empty()) {
    if (cniMode) {
      return Error::config("--kuma-dp-user: " + quoteForMessage(user) +
                           " is a user name, but CNI mode accepts only numeric uids")
          .hint("set kuma.io/sidecar-uid to the sidecar's numeric uid");
    }
    const auto list = accounts();
    const PasswdEntry* entry = findName(list, user);
    if (!entry) {
      return Error::config("--kuma-dp-user: the user " + quoteForMessage(user) +
                           " does not exist on this host")
          .hint("pass the sidecar's numeric uid instead");
    }
    return entry->uid;
  }
  // Default: uid 5678 if it exists, else user kuma-dp, else the numeric 5678 (iptables and
  // nftables match numeric uids without a passwd entry).
  if (cniMode) return kDefaultUid;
  const auto list = accounts();
  if (findUid(list, kDefaultUid)) return kDefaultUid;
  if (const PasswdEntry* entry = findName(list, kDefaultUser)) {
    spdlog::info("no user with uid {}; using user {} (uid {})", kDefaultUid, kDefaultUser,
                 entry->uid);
    return entry->uid;
  }
  spdlog::debug("no user with uid {} or named {}; using the numeric uid {}", kDefaultUid,
                kDefaultUser, kDefaultUid);
  return kDefaultUid;
}

}  // namespace

std::vector<PasswdEntry> parsePasswd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (auto line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
    auto fields = split(line, ':');
    if (fields.size() < 3 || fields[0].empty()) continue;
    const std::string_view id = fields[2];
    if (id.empty() || id.size() > 10 || id.find_first_not_of("0123456789") != id.npos) continue;
    const uint64_t uid = std::stoull(std::string(id));
    if (uid >= 0xFFFFFFFFull) continue;
    out.push_back({std::string(fields[0]), static_cast<uint32_t>(uid)});
  }
  return out;
}

std::vector<IpAddress> parseResolvConf(std::string_view text) {
  std::vector<IpAddress> out;
  for (auto line : split(text, '\n')) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    // Fields are separated by blanks, spaces or tabs (resolv.conf(5)).
    std::string normalized(line);
    std::replace(normalized.begin(), normalized.end(), '\t', ' ');
    auto fields = splitList(normalized, ' ');
    if (fields.size() < 2 || fields[0] != "nameserver") continue;
    std::string addr = fields[1];
    if (auto pct = addr.find('%'); pct != std::string::npos) addr.resize(pct);
    auto ip = IpAddress::parse(addr);
    if (!ip) {
      spdlog::warn("resolv.conf: ignoring nameserver {}", quoteForMessage(fields[1]));
      continue;
    }
    if (std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(*ip);
  }
  return out;
}

Result<Facts> gatherFacts(const Config& cfg, const RunOptions& run) {
  Facts f;
  KT_ASSIGN_OR_RETURN(f.kumaDpUid, resolveUid(cfg, run.cniMode));
  f.ipv6 = cfg.ipv6Requested();
  if (cfg.dns.enabled && !cfg.dns.captureAll) {
    auto text = readFileLimited(cfg.dns.resolvConfPath, kMaxResolvConfBytes);
    if (!text) {
      return Error::config("--redirect-dns: " + text.error().message())
          .hint(
              "use --redirect-all-dns-traffic, or point redirect.dns.resolvConfigPath at a "
              "readable file");
    }
    f.dnsServers = parseResolvConf(*text);
    bool v4 = false, v6 = false;
    for (const auto& a : f.dnsServers)
      (a.family == Family::kV4 ? v4 : v6) = true;
    if (!v4) {
      spdlog::warn("no IPv4 nameservers in {}: IPv4 DNS will not be redirected",
                   cfg.dns.resolvConfPath);
    }
    if (!v6 && f.ipv6) {
      spdlog::warn("no IPv6 nameservers in {}: IPv6 DNS will not be redirected",
                   cfg.dns.resolvConfPath);
    }
  }
  return f;
}

}  // namespace kt::config
