#include "support/scratch_bpffs.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace kt::testing {

Result<std::unique_ptr<ScratchBpffs>> ScratchBpffs::make(const std::string& name, bool readOnly,
                                                         Cleanup beforeUnmount) {
  if (name.find('.') != std::string::npos || name.find('/') != std::string::npos) {
    return Error::config("bpffs name " + name + " must not contain '.' or '/'");
  }
  std::string path = "/tmp/" + name;
  if (::mkdir(path.c_str(), 0700) != 0) return Error::system("creating " + path, errno);
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (readOnly ? MS_RDONLY : 0);
  if (::mount("bpffs", path.c_str(), "bpf", flags, "mode=0700") != 0) {
    int err = errno;
    ::rmdir(path.c_str());
    return Error::system("mounting bpffs on " + path, err);
  }
  return std::unique_ptr<ScratchBpffs>(new ScratchBpffs(std::move(path), std::move(beforeUnmount)));
}

ScratchBpffs::~ScratchBpffs() {
  if (beforeUnmount_) beforeUnmount_(path_);
  if (::umount2(path_.c_str(), MNT_DETACH) != 0) {
    spdlog::error("unmounting bpffs {}: {}", path_, std::strerror(errno));
  }
  if (::rmdir(path_.c_str()) != 0) spdlog::error("removing {}: {}", path_, std::strerror(errno));
}

}  // namespace kt::testing
