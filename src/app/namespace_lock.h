// The per-namespace lock as the install, verify and uninstall commands take it.
#pragma once

#include <optional>

#include "base/result.h"
#include "sys/netns_lock.h"

namespace kt::app {

// Locks the calling thread's current network namespace (enter --netns first) with the default
// lock directories. Another run holding it past the timeout is an error (kTransient). When no
// directory can hold a lock file at all, runs are not serialized: that is logged as a warning
// and nullopt returned, since refusing to install would be worse for a single init container,
// the one user who typically has no writable directory.
Result<std::optional<sys::NetnsLock>> lockNamespace();

}  // namespace kt::app
