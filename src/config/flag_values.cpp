#include "config/flag_values.h"

#include <optional>

#include "config/settings.h"
#include "config/values.h"

namespace kt::config {

namespace {

constexpr std::string_view kRedirectDns = "--redirect-dns";
constexpr std::string_view kRedirectAllDns = "--redirect-all-dns-traffic";

}  // namespace

std::vector<Assignment> flagAssignments(const std::vector<FlagValue>& flags, Problems& problems,
                                        std::vector<std::string>& warnings) {
  std::vector<Assignment> out;
  std::optional<bool> dnsOnly, dnsAll;  // last parseable value of each DNS flag
  bool warnedUid = false;
  for (const auto& f : flags) {
    const Setting* s = findSettingByFlag(f.name);
    Source src = Source::flag(f.name);
    if (!s) {
      problems.add(src, "unknown flag");
      continue;
    }
    if (f.name == "--kuma-dp-uid" && !warnedUid) {
      warnings.push_back("flag --kuma-dp-uid is deprecated; use --kuma-dp-user");
      warnedUid = true;
    }
    if (f.name == kRedirectDns || f.name == kRedirectAllDns) {
      if (auto b = parseBool(f.value)) (f.name == kRedirectDns ? dnsOnly : dnsAll) = *b;
    }
    out.push_back(assign(s, f.value, src));
  }
  if (dnsOnly.value_or(false) && dnsAll.value_or(false)) {
    problems.add(
        "only one of '--redirect-dns' or '--redirect-all-dns-traffic' should be specified");
  } else if (dnsAll.value_or(false)) {
    out.push_back(
        assign("redirect.dns.enabled", "true", Source::flag(std::string(kRedirectAllDns))));
  } else if (dnsOnly.value_or(false)) {
    out.push_back(
        assign("redirect.dns.captureAll", "false", Source::flag(std::string(kRedirectDns))));
  }
  return out;
}

}  // namespace kt::config
