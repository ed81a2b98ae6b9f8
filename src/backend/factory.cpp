#include "backend/backend.h"

namespace kt::backend {

Result<std::unique_ptr<Backend>> make(const config::Config& cfg, config::Facts) {
  return Error(ErrorKind::kUnsupported,
               std::string("backend ") + config::backendName(cfg.effectiveBackend()) +
                   " is not implemented yet");
}

std::vector<std::unique_ptr<Backend>> makeAllForUninstall(const config::Config&) { return {}; }

}  // namespace kt::backend
