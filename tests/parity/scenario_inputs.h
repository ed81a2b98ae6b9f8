// A golden scenario (tests/golden/scenarios) turned into what both policy implementations take:
// Config and Facts through the same flag parsing and config stage as `install`, and the facts of
// a pod-shaped network namespace for the eBPF plan (the shape of the eBPF dry-run goldens: lo,
// and eth0 with 10.0.0.2 and fd00::2; the instance IP 10.0.0.2).
#pragma once

#include <string>

#include "backend/ebpf/plan.h"
#include "base/result.h"
#include "config/config.h"
#include "config/facts.h"

namespace kt::parity {

struct ScenarioInputs {
  config::Config cfg;
  config::Facts facts;
  backend::ebpf::PodFacts pod;
};

// The pod's addresses on eth0.
IpAddress podIp(Family f);

// Loads <goldenDir>/scenarios/<name>.scenario. Errors: the scenario's flags or values do not
// load (kConfig), or the scenario disables transparent proxying.
Result<ScenarioInputs> loadScenarioInputs(const std::string& goldenDir, const std::string& name);

}  // namespace kt::parity
