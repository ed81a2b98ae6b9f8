#include "backend/iptables/mode_choice.h"

namespace kt::backend::iptables {

Result<ModeChoice> chooseMode(const ModeObservation& legacy, const ModeObservation& nft) {
  if (!legacy.toolsFound && !nft.toolsFound) {
    return Error(ErrorKind::kNotFound, "found neither iptables-nft nor iptables-legacy tools")
        .hint("install the iptables package (iptables-restore and iptables-save are needed)");
  }
  if (!nft.toolsFound) return ModeChoice{Mode::kLegacy, "only the legacy tools are installed"};
  if (!legacy.toolsFound) return ModeChoice{Mode::kNft, "only the nf_tables tools are installed"};
  if (legacy.hasRules && !nft.hasRules) {
    return ModeChoice{Mode::kLegacy, "only iptables-legacy has rules in this namespace"};
  }
  if (nft.hasRules && !legacy.hasRules) {
    return ModeChoice{Mode::kNft, "only iptables-nft has rules in this namespace"};
  }
  bool conflict = legacy.hasRules && nft.hasRules;
  if (legacy.dockerOutput && !nft.dockerOutput) {
    return ModeChoice{Mode::kLegacy, "Docker's DOCKER_OUTPUT chain is in the legacy nat table",
                      conflict};
  }
  if (conflict) {
    return ModeChoice{Mode::kNft, "both modes have rules; nf_tables is the default", true};
  }
  return ModeChoice{Mode::kNft, "no rules in either mode; nf_tables is the default"};
}

}  // namespace kt::backend::iptables
