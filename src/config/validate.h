// Cross-setting checks after merging (single values were checked by their grammar).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/source.h"

namespace kt::config {

// Adds a problem for each conflict: the same port used by two redirections, a redirect port
// excluded in its own direction, include and exclude ports both set for one direction, the eBPF
// settings with another explicit backend, a user name in CNI mode (`cniMode`). Expects the probe
// port not yet merged into the excluded inbound ports. Adds warnings for settings that have no
// effect.
void validate(const Config& cfg, bool cniMode, const std::map<std::string, Source>& provenance,
              Problems& problems, std::vector<std::string>& warnings);

}  // namespace kt::config
