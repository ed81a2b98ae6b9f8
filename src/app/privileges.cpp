#include "app/privileges.h"

#include <linux/capability.h>

#include <string>

#include "sys/capabilities.h"

namespace kt::app {

Status requireNetAdmin(std::string_view action) {
  KT_ASSIGN_OR_RETURN(bool has, sys::hasEffectiveCapability(CAP_NET_ADMIN));
  if (has) return okStatus();
  return Error(ErrorKind::kPermission,
               std::string(action) +
                   " needs the CAP_NET_ADMIN capability, which this process does not have")
      .hint(
          "run as root, or add the NET_ADMIN capability to the container; --dry-run needs no "
          "privileges");
}

}  // namespace kt::app
