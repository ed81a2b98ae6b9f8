#include "backend/iptables/iptables_backend.h"

namespace kt::backend::iptables {

// Placeholder until the iptables backend lands (issue 3).
Result<std::unique_ptr<Backend>> make(const config::Config&, config::Facts, Mode) {
  return Error(ErrorKind::kUnsupported, "the iptables backend is not implemented yet");
}

std::vector<std::unique_ptr<Backend>> forUninstall(const config::Config&) {
  return {};
}

}  // namespace kt::backend::iptables
