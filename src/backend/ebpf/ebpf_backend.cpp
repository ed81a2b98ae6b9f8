#include "backend/ebpf/ebpf_backend.h"

namespace kt::backend::ebpf {

// Placeholder until the eBPF backend lands (issue 4).
Result<std::unique_ptr<Backend>> make(const config::Config&, config::Facts) {
  return Error(ErrorKind::kUnsupported, "the eBPF backend is not implemented yet");
}

std::unique_ptr<Backend> forUninstall(const config::Config&) {
  return nullptr;
}

}  // namespace kt::backend::ebpf
