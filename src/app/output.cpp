#include "app/output.h"

#include <unistd.h>

#include <cerrno>

namespace kt::app {

Status writeStdout(std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      return Error::system("writing to stdout", err);
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  return okStatus();
}

}  // namespace kt::app
