// Refuses `install` into a node's own network namespace unless asked for explicitly.
//
// Without --netns the rules go into the caller's current network namespace. In a pod's init
// container that is the pod, which is the point; on a VM (Kuma's universal mode) it is the
// host, on purpose. On a Kubernetes node it is almost always a mistake: the rules would capture
// the node's own traffic (kubelet, the container runtime, the API server connection) and send
// it to a sidecar port nobody listens on.
#pragma once

#include <string>

#include "base/result.h"

namespace kt::app {

// What made a namespace look like a node's; empty `reason` = it does not.
struct NodeNamespaceSigns {
  std::string reason;
};

// Whether the current network namespace looks like a Kubernetes node's own: a CNI configuration
// directory holds a network configuration (`cniConfDir`, *.conf / *.conflist / *.json) or at
// least `minNamespaces` named network namespaces exist under `netnsDir` (pod namespaces), and
// the current namespace is the host's: the one of PID 1 of our PID namespace, or, where
// /proc/1/ns/net cannot be read, any namespace that is not one of the named ones in `netnsDir`.
// An init container sees neither directory; `ip netns exec` enters a named namespace. The check
// guards against mistakes; it is not a security boundary.
NodeNamespaceSigns nodeNamespaceSigns(const std::string& cniConfDir = "/etc/cni/net.d",
                                      const std::string& netnsDir = "/run/netns",
                                      size_t minNamespaces = 3);

// kConfig error when the current namespace looks like a node's, naming why and how to proceed
// (--netns, or --allow-host-namespace when the host's traffic is meant to be captured).
Status refuseNodeNamespace();

}  // namespace kt::app
