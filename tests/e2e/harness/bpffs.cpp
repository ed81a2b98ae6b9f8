#include "harness/bpffs.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

namespace kt::e2e {

Result<std::unique_ptr<ScratchBpffs>> ScratchBpffs::make(const std::string& name) {
  if (name.find('.') != std::string::npos || name.find('/') != std::string::npos) {
    return Error::config("bpffs name " + name + " must not contain '.' or '/'");
  }
  std::string path = "/tmp/" + name;
  if (::mkdir(path.c_str(), 0700) != 0) return Error::system("creating " + path, errno);
  if (::mount("bpffs", path.c_str(), "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") != 0) {
    int err = errno;
    ::rmdir(path.c_str());
    return Error::system("mounting bpffs on " + path, err);
  }
  return std::unique_ptr<ScratchBpffs>(new ScratchBpffs(std::move(path)));
}

ScratchBpffs::~ScratchBpffs() {
  if (::umount2(path_.c_str(), MNT_DETACH) != 0) {
    spdlog::error("unmounting bpffs {}: {}", path_, std::strerror(errno));
  }
  if (::rmdir(path_.c_str()) != 0) spdlog::error("removing {}: {}", path_, std::strerror(errno));
}

}  // namespace kt::e2e
