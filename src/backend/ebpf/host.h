// What the eBPF backend reads from the system it runs on: the pod's network namespace (cookie,
// addresses, interfaces), the cgroup v2 attach point and the bpffs. All calls act on the calling
// thread's current network namespace (main enters --netns before the backend runs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/net.h"
#include "base/result.h"
#include "sys/fd.h"

namespace kt::backend::ebpf {

// The current network namespace's cookie (SO_NETNS_COOKIE, Linux >= 5.14): the key of the pod's
// configuration, the same value bpf_get_netns_cookie() returns to the programs.
Result<uint64_t> currentNetnsCookie();

struct LocalAddress {
  IpAddress addr;
  bool onLoopback = false;  // configured on a loopback interface (127.0.0.1, ::1, ::6)
};

// Every address configured on an interface of the current namespace: IPv4 first, then IPv6,
// each in interface order (sys::listAllAddresses).
Result<std::vector<LocalAddress>> interfaceAddresses();

// The index of interface `name` in the current namespace; kNotFound lists the interfaces.
Result<uint32_t> interfaceIndex(const std::string& name);

// The cgroup v2 mount points listed in /proc/mounts.
std::vector<std::string> cgroup2Mounts();

struct CgroupDir {
  sys::Fd fd;       // O_RDONLY directory fd: the attach target
  uint64_t id = 0;  // the cgroup id (inode number of the directory on cgroup2)
  std::string path;
};

// Opens `path` if it is a cgroup v2 mount or a directory inside one. kUnsupported otherwise,
// with a hint naming the cgroup2 mounts of this machine.
Result<CgroupDir> openCgroup2(const std::string& path);

// The cgroup id of a cgroup v2 directory (for comparisons with link info).
Result<uint64_t> cgroupIdOf(const std::string& path);

struct CreatedBpffs;

// Makes `path` a usable bpffs: fine if it is one (or is inside one); if it does not exist it is
// created; an empty directory that is not a bpffs gets a bpffs mounted on it (as Kuma does).
// A non-empty directory of another file system is an error. `created` (when given) gets every
// directory made and whether a bpffs was mounted, also when an error follows, so the caller can
// remove them (created.h).
Status ensureBpffs(const std::string& path, CreatedBpffs* created = nullptr);

// True if `path` is on a bpffs (statfs), false if not or if it does not exist.
bool isBpffs(const std::string& path);

}  // namespace kt::backend::ebpf
