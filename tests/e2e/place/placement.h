// Placing the calling process where a test needs it: into a cgroup v2 directory, then into a
// network namespace, then down to an unprivileged uid/gid. Shared by the kt-e2e helper tool and
// the benchmark tools, which all start as root and place themselves before doing real work.
//
// The order matters and is fixed by place():
//  1. cgroup first, while the host's mount namespace (and its cgroup2 mount) is still the one we
//     see; `ip netns exec` would remount /sys and hide it, which is why callers use setns.
//  2. setns(CLONE_NEWNET) into the namespace file (a netns path or /proc/PID/ns/net).
//  3. setgroups/setgid/setuid last, because the first two need root.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/result.h"

namespace kt::e2e {

struct Placement {
  std::string cgroupDir;  // cgroup v2 directory (host mount view); empty = stay
  std::string netnsPath;  // network namespace file; empty = stay
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;  // defaults to uid when only uid is set
};

// Joins the cgroup and the namespace (steps 1 and 2). The calling process must be
// single-threaded: setns(CLONE_NEWNET) only moves the calling thread.
Status joinCgroupAndNetns(const Placement& p);

// Drops supplementary groups, then gid, then uid (step 3); no-op when p.uid is unset. Sockets
// created afterwards carry the new uid, which is what `-m owner --uid-owner` and `meta skuid`
// match. The kernel clears the parent-death signal on a credential change: re-arm it afterwards.
Status dropPrivileges(const Placement& p);

// Asks the kernel to send `sig` when the parent exits, so helpers never outlive a crashed test.
// Fails if the parent is no longer `originalParent` (it died before the signal was armed).
Status armParentDeathSignal(int sig, pid_t originalParent);

}  // namespace kt::e2e
