#include "app/privileges.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace kt::app {

Status requireNetAdmin(std::string_view action) {
  // The effective set decides what the kernel allows: checking the uid would accept a root
  // without CAP_NET_ADMIN and reject a non-root user who was granted it.
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    int err = errno;
    return Error::system("reading the capabilities of this process (capget)", err);
  }
  constexpr unsigned kCap = CAP_NET_ADMIN;
  if (data[kCap / 32].effective & (1u << (kCap % 32))) return okStatus();
  return Error(ErrorKind::kPermission,
               std::string(action) +
                   " needs the CAP_NET_ADMIN capability, which this process does not have")
      .hint(
          "run as root, or add the NET_ADMIN capability to the container; --dry-run needs no "
          "privileges");
}

}  // namespace kt::app
