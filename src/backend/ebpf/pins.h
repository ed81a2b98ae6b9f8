// The pinned state under the bpffs: the layout directory, its lock, the pinned maps and links,
// and their removal. Nothing here loads programs.
#pragma once

#include <linux/bpf.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/ebpf/layout.h"
#include "base/result.h"
#include "sys/fd.h"

namespace kt::backend::ebpf {

// Creates the layout directory and its maps/, links/ and pods/ subdirectories. A read-only bpffs
// is a clear kPermission error.
Status createLayoutDirs(const PinLayout& layout);

// Exclusive flock() on the layout directory: installs and uninstalls on one node run one at a
// time. Gives up with kTransient after `timeout`.
class LayoutLock {
 public:
  static Result<LayoutLock> acquire(const PinLayout& layout,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  explicit LayoutLock(sys::Fd fd) : fd_(std::move(fd)) {}
  sys::Fd fd_;
};

// Layout directories of other versions (kuma_tproxy_v<M>, M != ours) directly under `bpffs`.
std::vector<std::string> otherLayoutDirs(const std::string& bpffs);
// Every kuma_tproxy_v<M> directory under `bpffs`, ours included.
std::vector<std::string> allLayoutDirs(const std::string& bpffs);

// kUnsupported naming the older pins and what to do, if any other layout version is pinned.
Status checkNoOtherLayouts(const std::string& bpffs);

// Opens a pinned object (bpf_obj_get). kNotFound if nothing is pinned there.
Result<sys::Fd> openPinned(const std::string& path);

// Opens the pinned map `spec.name` and checks it against the spec: kUnsupported naming the map
// and the difference (an incompatible pin of an older build), kNotFound if absent.
Result<sys::Fd> openPinnedMap(const PinLayout& layout, const MapSpec& spec);

// All pinned maps, in kMapSpecs order; kNotFound if any is absent.
Result<std::array<sys::Fd, kMapSpecs.size()>> openPinnedMaps(const PinLayout& layout);

struct LinkInfo {
  uint32_t type = 0;  // BPF_LINK_TYPE_*
  uint32_t progId = 0;
  uint32_t attachType = 0;
  uint64_t cgroupId = 0;  // BPF_LINK_TYPE_CGROUP
  uint32_t netnsIno = 0;  // BPF_LINK_TYPE_NETNS; 0 once the namespace is gone
};
Result<LinkInfo> linkInfo(int linkFd);

// Detaches every pinned link found under `dir` (when detachLinks) and removes every pin and
// directory there, `dir` included. Missing `dir` is success.
Status removePinTree(const std::string& dir, bool detachLinks);

// Unpins one file; a missing file is success.
Status unpin(const std::string& path);

}  // namespace kt::backend::ebpf
