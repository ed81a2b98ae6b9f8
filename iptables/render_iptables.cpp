#include "render_iptables.h"

namespace kt::rules {

// Placeholder until the renderer lands (issue 2).
std::string renderIptables(const Model&, Family, const IptablesOptions&) {
  return {};
}
std::string renderIptablesDryRun(const Model&, const IptablesOptions&) {
  return {};
}

}  // namespace kt::rules
