// Privilege checks done before touching the kernel, so a missing capability gives one clear
// message instead of a confusing failure in the middle of an apply.
#pragma once

#include <string_view>

#include "base/result.h"

namespace kt::app {

// Succeeds when CAP_NET_ADMIN is in the effective capability set (root normally has it; a
// container may have dropped it, or granted it to a non-root user). `action` names what needs it
// ("installing the rules"). The error is kPermission with a hint.
Status requireNetAdmin(std::string_view action);

}  // namespace kt::app
