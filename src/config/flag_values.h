// Explicit install flags as a configuration source (the highest layer).
#pragma once

#include <string>
#include <vector>

#include "config/assignment.h"
#include "config/source.h"

namespace kt::config {

// One flag as given on the command line: name with dashes ("--redirect-inbound-port") and its
// text ("true" for a boolean flag given without a value). Nothing is converted or rejected before
// the config stage sees it.
struct FlagValue {
  std::string name;
  std::string value;
  bool operator==(const FlagValue&) const = default;
};

// One assignment per flag, in order; repeated list flags keep their order. Adds what the DNS
// flags imply (--redirect-all-dns-traffic enables DNS redirection; --redirect-dns selects the
// resolv.conf servers only) and reports them given together (Kuma's message). A deprecated alias
// adds a warning; an unknown flag name is a problem.
std::vector<Assignment> flagAssignments(const std::vector<FlagValue>& flags, Problems& problems,
                                        std::vector<std::string>& warnings);

}  // namespace kt::config
