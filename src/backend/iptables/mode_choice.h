// Kuma's choice between iptables-legacy and iptables-nft (kuma.md 4.3), as a pure function.
#pragma once

#include <string>

#include "backend/iptables/mode.h"
#include "base/result.h"

namespace kt::backend::iptables {

// What the IPv4 probes found for one mode.
struct ModeObservation {
  bool toolsFound = false;
  bool hasRules = false;      // a rule or user chain in raw, nat or mangle
  bool dockerOutput = false;  // nat has a DOCKER_OUTPUT chain
};

struct ModeChoice {
  Mode mode = Mode::kNft;
  std::string reason;     // for the log: why this mode
  bool conflict = false;  // both modes have rules (worth a warning)
};

// Only one mode's tools exist: that one. Rules in only one mode: that one. Otherwise legacy
// when only legacy has Docker's DOCKER_OUTPUT chain, else nf_tables. kNotFound without tools.
Result<ModeChoice> chooseMode(const ModeObservation& legacy, const ModeObservation& nft);

}  // namespace kt::backend::iptables
