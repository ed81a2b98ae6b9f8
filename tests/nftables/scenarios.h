// The configurations the nftables tests render, validate and install. Each one is a Config plus
// the Facts a backend would have gathered (nameservers, IPv6, sidecar uid).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/facts.h"

namespace kt::testing {

struct Scenario {
  std::string name;  // also the golden file name: golden/<name>.nft
  config::Config cfg;
  config::Facts facts;
};

// The golden scenarios, in a fixed order.
std::vector<Scenario> nftScenarios();

// The named scenario (aborts the test binary if unknown: a typo in a test).
Scenario nftScenario(const std::string& name);

// A scenario with `ports` excluded outbound ports (10000, 10003, ... so that no two merge) and
// as many excluded outbound IPv4 addresses.
Scenario manyExclusions(size_t ports);

}  // namespace kt::testing
