// Registration of listening sockets that existed before the pod's entry: sockops registers the
// sidecar's listeners when they call listen(), which only works for listeners created after the
// install. A re-run of install, or an install while the sidecar already runs, adopts the
// sidecar's existing listeners from user space instead.
#pragma once

#include <cstdint>

#include "backend/ebpf/node.h"

namespace kt::backend::ebpf {

// Finds the TCP listeners of `sidecarUid` in the current network namespace (sock_diag), gets a
// descriptor for each from its owning process (pidfd_getfd, needs CAP_SYS_PTRACE) and puts it into
// kt_listeners under this pod's cookie. Best effort: a listener that cannot be adopted is logged
// with what to do. Returns how many were registered.
size_t adoptListeners(const MapFds& maps, uint64_t netnsCookie, uint32_t sidecarUid);

}  // namespace kt::backend::ebpf
