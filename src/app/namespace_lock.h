// The per-namespace lock as the install, verify and uninstall commands take it.
#pragma once

#include <optional>

#include "base/result.h"
#include "sys/netns_lock.h"

namespace kt::app {

// Locks the calling thread's current network namespace (enter --netns first) with the default
// lock directories. Another run holding it past the timeout is an error (kTransient), and so is
// every other failure to lock, including no directory being able to hold a lock file: a run
// never goes ahead unserialized. The optional is always engaged on success (kept so callers
// can hold "no lock" in the same variable before locking).
Result<std::optional<sys::NetnsLock>> lockNamespace();

}  // namespace kt::app
