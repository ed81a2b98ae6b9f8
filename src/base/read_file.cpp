#include "base/read_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "sys/fd.h"

namespace kt {

Result<std::string> readAll(int fd, const std::string& what, size_t maxBytes) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      return Error::system("cannot read " + what, err);
    }
    if (n == 0) return out;
    if (out.size() + static_cast<size_t>(n) > maxBytes) {
      return Error::runtime(what + " is larger than " + std::to_string(maxBytes) +
                            " bytes, the most accepted");
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> readFile(const std::string& path, size_t maxBytes, const std::string& what) {
  const std::string& name = what.empty() ? path : what;
  sys::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return Error::system("cannot open " + name, errno);
  return readAll(fd.get(), name, maxBytes);
}

}  // namespace kt
