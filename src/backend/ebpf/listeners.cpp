#include "backend/ebpf/listeners.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include <spdlog/spdlog.h>

#include "sys/fd.h"
#include "sys/netns.h"

namespace kt::backend::ebpf {

namespace {

struct Listener {
  uint16_t port = 0;
  uint16_t family = 0;
};

// inode -> listener, for the TCP LISTEN sockets of `uid` and `family` in the current network
// namespace. sock_diag walks only the listening hash; /proc/net/tcp walks every bucket of the
// (node-wide) established hash as well, which costs milliseconds on a large machine.
void readListeners(uint8_t family, uint32_t uid, std::map<uint64_t, Listener>& out) {
  sys::Fd nl(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!nl) return;
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = 1u << 10;  // TCP_LISTEN
  if (::send(nl.get(), &msg, sizeof msg, 0) < 0) return;
  alignas(nlmsghdr) char buf[16384];
  for (;;) {
    ssize_t n = ::recv(nl.get(), buf, sizeof buf, 0);
    if (n <= 0) return;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) return;
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
      auto* m = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
      if (m->idiag_uid != uid || m->idiag_inode == 0) continue;
      out[m->idiag_inode] = Listener{ntohs(m->id.idiag_sport), family};
    }
  }
}

// Raw system calls: glibc 2.36's <sys/pidfd.h> lacks C linkage for C++.
int pidfdOpen(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
int pidfdGetfd(int pidfd, int fd) {
  return static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, fd, 0));
}

bool isNumber(const char* s) {
  return *s != '\0' && std::strspn(s, "0123456789") == std::strlen(s);
}

}  // namespace

size_t adoptListeners(const MapFds& maps, uint64_t netnsCookie, uint32_t sidecarUid) {
  std::map<uint64_t, Listener> wanted;
  readListeners(AF_INET, sidecarUid, wanted);
  readListeners(AF_INET6, sidecarUid, wanted);
  if (wanted.empty()) return 0;
  auto netnsIno = sys::currentNetnsInode();
  if (!netnsIno) return 0;

  size_t adopted = 0;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) return 0;
  while (dirent* p = ::readdir(proc.get())) {
    if (!isNumber(p->d_name) || wanted.empty()) continue;
    std::string base = std::string("/proc/") + p->d_name;
    struct stat ns {};
    if (::stat((base + "/ns/net").c_str(), &ns) != 0 || ns.st_ino != *netnsIno) continue;
    std::unique_ptr<DIR, int (*)(DIR*)> fds(::opendir((base + "/fd").c_str()), ::closedir);
    if (!fds) continue;
    sys::Fd pidfd;
    while (dirent* e = ::readdir(fds.get())) {
      if (!isNumber(e->d_name)) continue;
      char target[64];
      ssize_t n = ::readlink((base + "/fd/" + e->d_name).c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = '\0';
      uint64_t inode = 0;
      if (std::sscanf(target, "socket:[%lu]", &inode) != 1) continue;
      auto it = wanted.find(inode);
      if (it == wanted.end()) continue;
      if (!pidfd) pidfd.reset(pidfdOpen(std::stoi(p->d_name)));
      sys::Fd sock(pidfd ? pidfdGetfd(pidfd.get(), std::stoi(e->d_name)) : -1);
      if (!sock) {
        spdlog::warn(
            "eBPF: cannot take over the sidecar's listener on port {} (pid {}): {}; "
            "restart the sidecar so it registers itself",
            it->second.port, p->d_name, std::strerror(errno));
        wanted.erase(it);
        continue;
      }
      kt_listener_key key{};
      key.netns = netnsCookie;
      key.port = it->second.port;
      key.family = it->second.family;
      uint64_t value = static_cast<uint64_t>(sock.get());
      if (bpf_map_update_elem(maps[kListeners].get(), &key, &value, BPF_ANY) == 0) {
        ++adopted;
        spdlog::debug("eBPF: registered the sidecar's existing listener on port {}", key.port);
      } else {
        spdlog::warn("eBPF: registering the sidecar's listener on port {}: {}", key.port,
                     std::strerror(errno));
      }
      wanted.erase(it);
    }
  }
  return adopted;
}

}  // namespace kt::backend::ebpf
