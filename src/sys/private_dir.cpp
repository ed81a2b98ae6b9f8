#include "sys/private_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/read_file.h"
#include "base/strings.h"

namespace kt::sys {

namespace {

// Opens `path` component by component without following links. With `create`, missing
// components are made 0700. An invalid Fd (no error) when a component is missing and !create.
Result<Fd> openDirNoFollow(const std::string& path, bool create) {
  if (path.empty() || path.front() != '/') {
    return Error::config("state directory " + quoteForMessage(path) + " is not an absolute path");
  }
  Fd cur(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cur) return Error::system("opening /", errno);
  for (auto part : split(std::string_view(path), '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return Error::config("state directory " + path + " contains '..'");
    std::string name(part);
    if (create && ::mkdirat(cur.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
      return Error::system("creating " + path, errno);
    }
    Fd next(::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      int err = errno;
      if (err == ENOENT && !create) return Fd();
      if (err == ELOOP || err == ENOTDIR) {
        return Error(ErrorKind::kPermission,
                     "state directory " + path + ": " + name + " is not a directory (a link?)")
            .hint("remove it; kuma-tproxy creates its state directories itself");
      }
      return Error::system("opening " + path, err);
    }
    cur = std::move(next);
  }
  return cur;
}

}  // namespace

bool validRecordName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<PrivateDir> PrivateDir::open(const std::string& path) {
  KT_ASSIGN_OR_RETURN(Fd fd, openDirNoFollow(path, true));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::system("stat " + path, errno);
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    return Error(ErrorKind::kPermission,
                 "state directory " + path + " is not private (owner uid " +
                     std::to_string(st.st_uid) + ", group/other permission bits set: " +
                     ((st.st_mode & 077) != 0 ? "yes" : "no") + "); it must be owned by uid " +
                     std::to_string(::geteuid()) + " with no access for group or others")
        .hint("remove it, or chown/chmod 0700 it");
  }
  return PrivateDir(std::move(fd), path);
}

Result<std::optional<PrivateDir>> PrivateDir::openExisting(const std::string& path) {
  KT_ASSIGN_OR_RETURN(Fd fd, openDirNoFollow(path, false));
  if (!fd) return std::optional<PrivateDir>();
  KT_ASSIGN_OR_RETURN(PrivateDir dir, open(path));
  return std::optional<PrivateDir>(std::move(dir));
}

Status PrivateDir::write(const std::string& name, std::string_view content) const {
  if (!validRecordName(name)) return Error::config("bad state file name " + quoteForMessage(name));
  std::string tmp = "." + name + ".tmp." + std::to_string(::getpid());
  Fd fd(::openat(fd_.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                 0600));
  if (!fd) return Error::system("creating " + path_ + "/" + tmp, errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      ::unlinkat(fd_.get(), tmp.c_str(), 0);
      return Error::system("writing " + path_ + "/" + tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::renameat(fd_.get(), tmp.c_str(), fd_.get(), name.c_str()) != 0) {
    int err = errno;
    ::unlinkat(fd_.get(), tmp.c_str(), 0);
    return Error::system("renaming " + path_ + "/" + tmp, err);
  }
  return okStatus();
}

Result<std::optional<std::string>> PrivateDir::read(const std::string& name,
                                                    size_t maxBytes) const {
  if (!validRecordName(name)) return Error::config("bad state file name " + quoteForMessage(name));
  auto text =
      readFileAt(fd_.get(), name, maxBytes, path_ + "/" + name, ReadOptions{.noFollow = true});
  if (!text) {
    if (text.error().kind() == ErrorKind::kNotFound) return std::optional<std::string>();
    return std::move(text).takeError();
  }
  return std::optional<std::string>(std::move(text).value());
}

Status PrivateDir::remove(const std::string& name) const {
  if (!validRecordName(name)) return Error::config("bad state file name " + quoteForMessage(name));
  if (::unlinkat(fd_.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
    return Error::system("removing " + path_ + "/" + name, errno);
  }
  return okStatus();
}

}  // namespace kt::sys
