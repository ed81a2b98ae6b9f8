#include "cni/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "sys/fd.h"

namespace kt::cni {

namespace {

Status writeAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::system("writing " + what, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return okStatus();
}

// Writes through a temporary file and renames it over `path`; `fill` writes the content.
template <class Fill>
Status replaceAtomically(const std::string& path, mode_t mode, std::optional<FileOwner> owner,
                         Fill&& fill) {
  std::string tmp =
      joinPath(dirName(path), "." + baseName(path) + ".tmp." + std::to_string(::getpid()));
  sys::Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return Error::system("creating " + tmp, errno);
  auto cleanup = [&](Error e) {
    ::unlink(tmp.c_str());
    return e;
  };
  if (auto s = fill(fd.get(), tmp); !s) return cleanup(std::move(s).takeError());
  // fchmod after creation: the mode must not depend on the umask.
  if (::fchmod(fd.get(), mode) != 0) return cleanup(Error::system("chmod " + tmp, errno));
  if (owner && ::fchown(fd.get(), owner->uid, owner->gid) != 0) {
    return cleanup(Error::system("chown " + tmp, errno));
  }
  if (::fsync(fd.get()) != 0) return cleanup(Error::system("fsync " + tmp, errno));
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    return cleanup(Error::system("renaming " + tmp + " to " + path, err));
  }
  return okStatus();
}

}  // namespace

Status writeFileAtomic(const std::string& path, std::string_view content, mode_t mode,
                       std::optional<FileOwner> owner) {
  return replaceAtomically(path, mode, owner, [&](int fd, const std::string& tmp) -> Status {
    return writeAll(fd, content, tmp);
  });
}

Status copyFileAtomic(const std::string& source, const std::string& path, mode_t mode) {
  sys::Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return Error::system("opening " + source, errno);
  return replaceAtomically(path, mode, std::nullopt, [&](int fd, const std::string& tmp) -> Status {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(in.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error::system("reading " + source, errno);
      }
      if (n == 0) return okStatus();
      KT_TRY(writeAll(fd, std::string_view(buf, static_cast<size_t>(n)), tmp));
    }
  });
}

Status removeFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Error::system("removing " + path, errno);
  }
  return okStatus();
}

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string dirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string joinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

}  // namespace kt::cni
