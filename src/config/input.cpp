#include "config/input.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "config/source.h"
#include "sys/fd.h"

namespace kt::config {

Result<std::string> readFdLimited(int fd, const std::string& what, size_t maxBytes) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      return Error::system("cannot read " + what, err).kind(ErrorKind::kConfig);
    }
    if (n == 0) return out;
    if (out.size() + static_cast<size_t>(n) > maxBytes) {
      return Error::config(what + " is larger than " + std::to_string(maxBytes) +
                           " bytes, the most accepted");
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> readFileLimited(const std::string& path, size_t maxBytes) {
  sys::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    int err = errno;
    return Error::system("cannot open " + safeText(path), err).kind(ErrorKind::kConfig);
  }
  return readFdLimited(fd.get(), safeText(path), maxBytes);
}

}  // namespace kt::config
