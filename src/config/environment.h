// KUMA_TRANSPARENT_PROXY_* environment variables as a configuration source. Each variable is
// named after a config-file path (settings.h envNameForKey): REDIRECT_INBOUND_PORT,
// REDIRECT_DNS_CAPTURE_ALL, KUMA_DP_USER, IP_FAMILY_MODE, WAIT, RETRY_MAX_RETRIES, ...
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/assignment.h"
#include "config/source.h"

namespace kt::config {

using Environment = std::map<std::string, std::string>;

// One assignment per known variable present. Lists are comma strings, except uid exclusions,
// whose entries are separated by ';' (entries contain commas). Unknown variables with our prefix
// add a warning each.
std::vector<Assignment> environmentAssignments(const Environment& env,
                                               std::vector<std::string>& warnings);

}  // namespace kt::config
