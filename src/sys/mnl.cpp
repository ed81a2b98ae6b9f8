#include "sys/mnl.h"

#include <cerrno>

namespace kt::sys {

Result<MnlSocket> openMnlSocket(int bus, const std::string& name) {
  MnlSocket sock(mnl_socket_open(bus));
  if (!sock) return Error::system("opening a " + name + " socket", errno);
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return Error::system("binding a " + name + " socket", errno);
  }
  return sock;
}

}  // namespace kt::sys
