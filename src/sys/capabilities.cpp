#include "sys/capabilities.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace kt::sys {

Result<bool> hasEffectiveCapability(int cap) {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    int err = errno;
    return Error::system("reading the capabilities of this process (capget)", err);
  }
  const auto bit = static_cast<unsigned>(cap);
  if (bit / 32 >= _LINUX_CAPABILITY_U32S_3) return false;
  return (data[bit / 32].effective & (1u << (bit % 32))) != 0;
}

}  // namespace kt::sys
