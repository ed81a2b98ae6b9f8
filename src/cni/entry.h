// Entry points of the CNI side for main.cpp (kept free of heavy includes).
#pragma once

namespace kt::cni {

// The CNI plugin (argv[0] "kuma-cni" or `kuma-tproxy cni`): CNI_* environment and the network
// configuration on stdin; result or error JSON on stdout. Returns the process exit code.
int runPlugin();

// The node installer (`kuma-tproxy cni-install`), configured by environment variables; runs
// until SIGTERM/SIGINT/SIGHUP/SIGQUIT. Returns the process exit code (docs/cni.md).
int runInstaller();

// The DaemonSet's readiness probe (`kuma-tproxy cni-ready`; the CNI image has no shell or
// `cat`): 0 when the installer's readiness file (READY_FILE, default /tmp/ready) exists, 1
// otherwise, with the reason on stderr.
int runReadyCheck();

}  // namespace kt::cni
