// resolv.conf: the nameserver parser, and the file read by path as gatherFacts does for
// --redirect-dns, then rendered with the nameservers it found.
#include <algorithm>

#include "config/facts.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  auto text = fuzz::asText(data, size);

  auto servers = config::parseResolvConf(text);
  for (size_t i = 0; i < servers.size(); ++i) {
    auto back = IpAddress::parse(servers[i].str());
    if (!back || *back != servers[i]) fuzz::fail("nameserver text round trip", servers[i].str());
    if (std::count(servers.begin(), servers.end(), servers[i]) != 1) {
      fuzz::fail("duplicate nameserver", servers[i].str());
    }
  }

  if (size > 1024 * 1024) return 0;  // gatherFacts refuses larger files (its limit)
  auto file = fuzz::MemFile::make(text);
  if (!file) fuzz::fail("memfd", file.error().message());
  config::Config cfg;
  cfg.kumaDpUser = config::SidecarUser::ofUid(5678);  // numeric: no NSS lookup
  cfg.dns.enabled = true;
  cfg.dns.resolvConfPath = file->path();
  auto facts = config::gatherFacts(cfg, {});
  if (!facts) fuzz::fail("gatherFacts failed on a readable file", facts.error().message());
  if (facts->dnsServers != servers) fuzz::fail("gatherFacts and parseResolvConf disagree");
  fuzz::checkRenders(cfg, *facts);
  return 0;
}
