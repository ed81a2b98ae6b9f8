#include "backend/ebpf/probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include <spdlog/spdlog.h>

#include "backend/ebpf/libbpf_util.h"
#include "base/strings.h"
#include "sys/fd.h"

namespace kt::backend::ebpf {

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn movImm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn exitInsn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}
bpf_insn callHelper(int32_t id) {
  return insn(BPF_JMP | BPF_CALL, 0, 0, 0, id);
}
bpf_insn loadCtx32(uint8_t dst, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0);
}

struct LoadResult {
  bool ok = false;
  int err = 0;
  std::string log;
};

// Loads a minimal program; the verifier log is requested only when `wantLog` (it costs time).
LoadResult tryLoad(bpf_prog_type type, bpf_attach_type attach, const std::vector<bpf_insn>& prog,
                   bool wantLog = false) {
  static char log[4096];
  log[0] = '\0';
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach);
  if (wantLog) {
    opts.log_level = 1;
    opts.log_size = sizeof log;
    opts.log_buf = log;
  }
  sys::Fd fd(bpf_prog_load(type, nullptr, "GPL", prog.data(), prog.size(), &opts));
  LoadResult r;
  r.err = fd.valid() ? 0 : errno;
  r.ok = fd.valid();
  r.log = log;
  return r;
}

bool helperMissing(const LoadResult& r) {
  return !r.ok && (r.log.find("invalid func ") != std::string::npos ||
                   r.log.find("unknown func ") != std::string::npos ||
                   r.log.find("program of this type cannot use helper") != std::string::npos);
}

struct HelperProbe {
  bpf_prog_type type;
  bpf_attach_type attach;
  int helper;
  const char* what;
};

}  // namespace

std::vector<std::string> missingKernelFeatures() {
  std::vector<std::string> missing;
  const std::vector<bpf_insn> trivial = {movImm(BPF_REG_0, 1), exitInsn()};

  struct AttachProbe {
    bpf_prog_type type;
    bpf_attach_type attach;
    const char* what;
  };
  for (const auto& p : std::initializer_list<AttachProbe>{
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, "cgroup/connect4"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT, "cgroup/connect6"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG, "cgroup/sendmsg4"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG, "cgroup/sendmsg6"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_RECVMSG, "cgroup/recvmsg4"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG, "cgroup/recvmsg6"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETPEERNAME, "cgroup/getpeername4"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETPEERNAME, "cgroup/getpeername6"},
           {BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, "sockops"},
           {BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, "cgroup/getsockopt"},
           {BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, "sk_lookup"},
       }) {
    if (!tryLoad(p.type, p.attach, trivial).ok)
      missing.push_back(std::string(p.what) + " programs");
  }

  // sk_lookup must see the arriving interface to leave loopback traffic alone (Linux 5.17).
  if (!tryLoad(BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP,
               {loadCtx32(BPF_REG_2, offsetof(bpf_sk_lookup, ingress_ifindex)),
                movImm(BPF_REG_0, 1), exitInsn()})
           .ok) {
    missing.push_back("bpf_sk_lookup.ingress_ifindex (Linux 5.17)");
  }

  for (const auto& [type, what] : std::initializer_list<std::pair<bpf_map_type, const char*>>{
           {BPF_MAP_TYPE_HASH, "hash maps"},
           {BPF_MAP_TYPE_LRU_HASH, "LRU hash maps"},
           {BPF_MAP_TYPE_LPM_TRIE, "LPM trie maps"},
           {BPF_MAP_TYPE_SK_STORAGE, "socket storage maps (with BTF)"},
           {BPF_MAP_TYPE_SOCKHASH, "socket hash maps"},
       }) {
    if (libbpf_probe_bpf_map_type(type, nullptr) != 1) missing.push_back(what);
  }

  for (const auto& p : std::initializer_list<HelperProbe>{
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, BPF_FUNC_get_netns_cookie,
            "bpf_get_netns_cookie in cgroup/connect"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, BPF_FUNC_sk_storage_get,
            "bpf_sk_storage_get in cgroup/connect"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, BPF_FUNC_bind,
            "bpf_bind in cgroup/connect"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, BPF_FUNC_get_current_uid_gid,
            "bpf_get_current_uid_gid in cgroup/connect"},
           {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, BPF_FUNC_loop,
            "bpf_loop (Linux 5.17)"},
           {BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, BPF_FUNC_get_netns_cookie,
            "bpf_get_netns_cookie in sockops (Linux 5.15)"},
           {BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, BPF_FUNC_sk_storage_get,
            "bpf_sk_storage_get in sockops"},
           {BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, BPF_FUNC_sock_hash_update,
            "bpf_sock_hash_update in sockops"},
           {BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, BPF_FUNC_get_current_uid_gid,
            "bpf_get_current_uid_gid in sockops"},
           {BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, BPF_FUNC_get_netns_cookie,
            "bpf_get_netns_cookie in cgroup/getsockopt (Linux 5.15)"},
           {BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, BPF_FUNC_sk_storage_get,
            "bpf_sk_storage_get in cgroup/getsockopt"},
           {BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, BPF_FUNC_sk_assign,
            "bpf_sk_assign in sk_lookup"},
       }) {
    if (helperMissing(tryLoad(p.type, p.attach,
                              {callHelper(p.helper), movImm(BPF_REG_0, 1), exitInsn()}, true))) {
      missing.push_back(p.what);
    }
  }
  return missing;
}

Status probeKernel() {
  auto first = tryLoad(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT,
                       {movImm(BPF_REG_0, 1), exitInsn()});
  if (!first.ok && first.err == EPERM) {
    return Error::system("loading a BPF program", EPERM)
        .hint("the eBPF backend needs root (CAP_SYS_ADMIN, or CAP_BPF + CAP_NET_ADMIN)");
  }
  auto missing = missingKernelFeatures();
  if (missing.empty()) {
    spdlog::debug("eBPF: every program type, attach type, map type and helper is supported");
    return okStatus();
  }
  return Error(ErrorKind::kUnsupported,
               "the kernel lacks what the eBPF backend needs: " + join(missing, "; "))
      .hint(
          "the eBPF backend needs Linux >= 5.17 with cgroup v2, BTF and BPF socket maps; use "
          "the iptables or nftables backend on this node");
}

}  // namespace kt::backend::ebpf
