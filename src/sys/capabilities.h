// Asking the kernel which capabilities this process holds.
#pragma once

#include "base/result.h"

namespace kt::sys {

// Whether `cap` (CAP_NET_ADMIN, ...) is in the effective set of the calling thread: what the
// kernel checks. A uid check would accept a root without the capability and reject a non-root
// user who was granted it.
Result<bool> hasEffectiveCapability(int cap);

}  // namespace kt::sys
