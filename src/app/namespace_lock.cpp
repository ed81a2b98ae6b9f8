#include "app/namespace_lock.h"

#include <spdlog/spdlog.h>

namespace kt::app {

Result<std::optional<sys::NetnsLock>> lockNamespace() {
  auto lock = sys::NetnsLock::acquire();
  if (lock) return std::optional<sys::NetnsLock>(std::move(*lock));
  if (lock.error().kind() != ErrorKind::kUnsupported) return std::move(lock).takeError();
  spdlog::warn("{}; concurrent runs in this network namespace are not serialized",
               lock.error().message());
  return std::optional<sys::NetnsLock>();
}

}  // namespace kt::app
