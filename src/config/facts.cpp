#include "config/facts.h"

#include <pwd.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "base/strings.h"
#include "config/input.h"

namespace kt::config {

namespace {

constexpr uint32_t kDefaultUid = 5678;
constexpr const char* kDefaultUser = "kuma-dp";
constexpr size_t kMaxResolvConfBytes = 1024 * 1024;

// getpwuid_r / getpwnam_r: true if found.
bool uidExists(uint32_t uid) {
  passwd pw{}, *res = nullptr;
  char buf[4096];
  return getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res != nullptr;
}

bool lookupUser(const std::string& name, uint32_t& uid) {
  passwd pw{}, *res = nullptr;
  char buf[4096];
  if (getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &res) != 0 || res == nullptr) return false;
  uid = res->pw_uid;
  return true;
}

Result<uint32_t> resolveUid(const Config& cfg, bool cniMode) {
  // The config stage parsed the value: a uid is used as it is, only a name needs NSS.
  if (cfg.kumaDpUser.uid) return *cfg.kumaDpUser.uid;
  const std::string& user = cfg.kumaDpUser.name;
  if (!user.empty()) {
    if (cniMode) {
      return Error::config("--kuma-dp-user: " + quoteForMessage(user) +
                           " is a user name, but CNI mode accepts only numeric uids")
          .hint("set kuma.io/sidecar-uid to the sidecar's numeric uid");
    }
    uint32_t uid = 0;
    if (!lookupUser(user, uid)) {
      return Error::config("--kuma-dp-user: the user " + quoteForMessage(user) +
                           " does not exist on this host")
          .hint("pass the sidecar's numeric uid instead");
    }
    return uid;
  }
  // Default: uid 5678 if it exists, else user kuma-dp, else the numeric 5678 (iptables and
  // nftables match numeric uids without a passwd entry).
  if (cniMode || uidExists(kDefaultUid)) return kDefaultUid;
  uint32_t uid = 0;
  if (lookupUser(kDefaultUser, uid)) {
    spdlog::info("no user with uid {}; using user {} (uid {})", kDefaultUid, kDefaultUser, uid);
    return uid;
  }
  spdlog::debug("no user with uid {} or named {}; using the numeric uid {}", kDefaultUid,
                kDefaultUser, kDefaultUid);
  return kDefaultUid;
}

}  // namespace

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
