#include "base/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "sys/fd.h"

namespace kt {

namespace {

const char* fileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

Error notRegular(const std::string& what, mode_t mode) {
  return Error::config(what + " is " + fileTypeName(mode) + ", not a regular file")
      .hint("only regular files are read");
}

Error tooLarge(const std::string& what, size_t maxBytes) {
  return Error::runtime(what + " is larger than " + std::to_string(maxBytes) +
                        " bytes, the most accepted");
}

}  // namespace

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
    if (out.size() + static_cast<size_t>(n) > maxBytes) return tooLarge(what, maxBytes);
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> readFileAt(int dirFd, const std::string& name, size_t maxBytes,
                               const std::string& what, ReadOptions options) {
  // Looked at before opening: a device or FIFO is never opened.
  struct stat before {};
  int statFlags = options.noFollow ? AT_SYMLINK_NOFOLLOW : 0;
  if (::fstatat(dirFd, name.c_str(), &before, statFlags) != 0) {
    return Error::system("cannot open " + what, errno);
  }
  if (!S_ISREG(before.st_mode)) return notRegular(what, before.st_mode);
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (options.noFollow ? O_NOFOLLOW : 0);
  sys::Fd fd(::openat(dirFd, name.c_str(), flags));
  if (!fd) {
    int err = errno;
    if (err == ELOOP && options.noFollow) return notRegular(what, S_IFLNK);
    return Error::system("cannot open " + what, err);
  }
  // The same regular file as the one looked at (not swapped for a FIFO in between).
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::system("cannot stat " + what, errno);
  if (!S_ISREG(st.st_mode)) return notRegular(what, st.st_mode);
  if (st.st_dev != before.st_dev || st.st_ino != before.st_ino) {
    return Error::config(what + " changed while it was opened");
  }
  if (st.st_size > 0 && static_cast<uint64_t>(st.st_size) > maxBytes) {
    return tooLarge(what, maxBytes);
  }
  // Regular files never block; reads proceed as usual without O_NONBLOCK.
  if (::fcntl(fd.get(), F_SETFL, O_RDONLY) != 0) {
    return Error::system("cannot read " + what, errno);
  }
  return readAll(fd.get(), what, maxBytes);
}

Result<std::string> readFile(const std::string& path, size_t maxBytes, const std::string& what,
                             ReadOptions options) {
  return readFileAt(AT_FDCWD, path, maxBytes, what.empty() ? path : what, options);
}

}  // namespace kt
