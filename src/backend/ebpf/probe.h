// Kernel feature probes for the eBPF backend: every program type, attach type, map type, helper
// and context field the programs use is tried with a minimal program or map, so an unsupported
// kernel gets one error naming everything missing before anything is attached.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace kt::backend::ebpf {

// The features this kernel lacks (empty = everything is there). Needs CAP_BPF/CAP_SYS_ADMIN.
std::vector<std::string> missingKernelFeatures();

// kUnsupported listing missingKernelFeatures(), or ok.
Status probeKernel();

}  // namespace kt::backend::ebpf
