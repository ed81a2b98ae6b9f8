// A directory private to the effective user, for the small records root keeps between runs (what
// an install created, so that its uninstall removes exactly that). Such a directory may sit under
// a path others can write to, so it is never trusted by name alone: every component is opened
// with O_NOFOLLOW, the last one must be a directory owned by us with no access for group or
// others, and files in it are opened relative to it with O_NOFOLLOW.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sys/fd.h"

namespace kt::sys {

class PrivateDir {
 public:
  // Opens `path` (absolute), creating missing components with mode 0700. kPermission error when
  // the final directory is a symbolic link, not ours, or open to group or others.
  static Result<PrivateDir> open(const std::string& path);
  // Opens `path` if it exists; nullopt when it does not (nothing was ever recorded).
  static Result<std::optional<PrivateDir>> openExisting(const std::string& path);

  const std::string& path() const { return path_; }

  // Replaces `name` atomically (temporary file + rename) with `content`, mode 0600.
  Status write(const std::string& name, std::string_view content) const;
  // The content of `name` (a regular file, not a link; at most maxBytes); nullopt if absent.
  Result<std::optional<std::string>> read(const std::string& name, size_t maxBytes) const;
  // Removes `name`; success when absent.
  Status remove(const std::string& name) const;

 private:
  PrivateDir(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Fd fd_;
  std::string path_;
};

// True when `name` is usable as one file name in a PrivateDir: [A-Za-z0-9._-], 1-255 bytes, not
// "." or "..".
bool validRecordName(std::string_view name);

}  // namespace kt::sys
