// The harness's network namespaces are the shared test support's (tests/support).
#pragma once

#include "support/scratch_netns.h"

namespace kt::e2e {

using testing::ScratchNetns;

}  // namespace kt::e2e
