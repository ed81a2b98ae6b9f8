#include "config/input.h"

#include "base/read_file.h"
#include "config/source.h"

namespace kt::config {

namespace {

// Every input problem is the user's to fix: exit 2, nothing changed.
Result<std::string> asConfigError(Result<std::string> r) {
  if (r) return r;
  return std::move(r).takeError().kind(ErrorKind::kConfig);
}

}  // namespace

Result<std::string> readFdLimited(int fd, const std::string& what, size_t maxBytes) {
  return asConfigError(readAll(fd, what, maxBytes));
}

Result<std::string> readFileLimited(const std::string& path, size_t maxBytes) {
  return asConfigError(readFile(path, maxBytes, safeText(path)));
}

}  // namespace kt::config
