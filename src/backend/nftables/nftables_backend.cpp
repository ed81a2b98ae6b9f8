#include "backend/nftables/nftables_backend.h"

namespace kt::backend::nftables {

// Placeholder until the nftables backend lands (issue 3).
Result<std::unique_ptr<Backend>> make(const config::Config&, config::Facts) {
  return Error(ErrorKind::kUnsupported, "the nftables backend is not implemented yet");
}

std::unique_ptr<Backend> forUninstall(const config::Config&) {
  return nullptr;
}

}  // namespace kt::backend::nftables
