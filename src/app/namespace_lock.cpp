#include "app/namespace_lock.h"

namespace kt::app {

Result<std::optional<sys::NetnsLock>> lockNamespace() {
  KT_ASSIGN_OR_RETURN(auto lock, sys::NetnsLock::acquire());
  return std::optional<sys::NetnsLock>(std::move(lock));
}

}  // namespace kt::app
