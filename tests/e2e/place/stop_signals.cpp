#include "place/stop_signals.h"

#include <signal.h>
#include <sys/signalfd.h>

#include <cerrno>

namespace kt::e2e {

Result<sys::Fd> stopSignalFd() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  if (::sigprocmask(SIG_BLOCK, &stop, nullptr) != 0) return Error::system("sigprocmask", errno);
  sys::Fd sfd(::signalfd(-1, &stop, SFD_CLOEXEC));
  if (!sfd) return Error::system("signalfd", errno);
  return sfd;
}

}  // namespace kt::e2e
