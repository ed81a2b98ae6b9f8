// The eBPF backend as an e2e parameter: kuma-tproxy install --backend ebpf with the test's
// scratch cgroup v2 directory and scratch bpffs; state and leftovers read the pins, the maps and
// the attachments besides netfilter.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "backend/ebpf/layout.h"
#include "harness/backends.h"
#include "harness/netfilter_dump.h"
#include "harness/tool.h"
#include "sys/exec.h"
#include "sys/fd.h"

namespace kt::e2e {

namespace {

namespace eb = backend::ebpf;
namespace fs = std::filesystem;

std::vector<std::string> ebpfFlags(const InstallEnv& env) {
  return {"--ebpf-cgroup-path=" + env.cgroupDir, "--ebpf-bpffs-path=" + env.bpffsDir,
          "--ebpf-instance-ip=" + Topology::podAddr(Family::kV4).str()};
}

// Every pin of ours, relative to the bpffs, with pod directories (netns cookies) as "<pod>".
std::vector<std::string> pins(const InstallEnv& env) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(env.bpffsDir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string rel = fs::relative(it->path(), env.bpffsDir, ec).string();
    if (rel.rfind(eb::kLayoutDirPrefix, 0) != 0) continue;  // the kernel's own preload pins
    auto pods = rel.find("/pods/");
    if (pods != std::string::npos) {
      auto end = rel.find('/', pods + 6);
      rel = rel.substr(0, pods + 6) + "<pod>" + (end == std::string::npos ? "" : rel.substr(end));
    }
    out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint32_t queryCount(const std::string& path, bpf_attach_type type, int flags) {
  sys::Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd) return 0;
  uint32_t ids[64], cnt = 64, attachFlags = 0;
  if (bpf_prog_query(fd.get(), type, 0, &attachFlags, ids, &cnt) != 0) return 0;
  return cnt;
}

// Entries of a pinned map (0 if it is not pinned).
size_t mapEntries(const InstallEnv& env, const eb::MapSpec& spec) {
  sys::Fd fd(bpf_obj_get(eb::PinLayout::under(env.bpffsDir).map(spec.name).c_str()));
  if (!fd) return 0;
  std::vector<uint8_t> cur(spec.keySize), next(spec.keySize);
  size_t n = 0;
  for (bool first = true;
       bpf_map_get_next_key(fd.get(), first ? nullptr : cur.data(), next.data()) == 0 &&
       n <= spec.maxEntries;
       first = false, cur = next) {
    ++n;
  }
  return n;
}

Result<std::string> ebpfState(const InstallEnv& env) {
  KT_ASSIGN_OR_RETURN(std::string out, dumpNetfilter(env.topo->pod()));
  out += "# ebpf pins\n";
  for (const auto& p : pins(env))
    out += p + "\n";
  out += "# ebpf attachments\n";
  for (const auto& p : eb::kCgroupPrograms) {
    out += std::string(p.hook) + " " +
           std::to_string(queryCount(env.cgroupDir, p.attachType, O_RDONLY | O_DIRECTORY)) + "\n";
  }
  out += "sk_lookup " +
         std::to_string(queryCount(env.topo->pod().path(), BPF_SK_LOOKUP, O_RDONLY)) + "\n";
  // Entry counts: a re-install must replace the pod's generation, not add to it.
  out += "# ebpf map entries\n";
  for (const auto& m : eb::kMapSpecs) {
    if (m.type == BPF_MAP_TYPE_SK_STORAGE || m.type == BPF_MAP_TYPE_SOCKHASH ||
        m.type == BPF_MAP_TYPE_LRU_HASH) {
      continue;  // follow the traffic, not the configuration
    }
    out += std::string(m.name) + " " + std::to_string(mapEntries(env, m)) + "\n";
  }
  return out;
}

// What of the pod is left: its entries, its pod pins and its namespace attachment. The node-wide
// programs stay attached after a pod's uninstall by design (they serve every pod of the node);
// `uninstall --ebpf-all` removes them, which tests/ebpf checks.
Result<std::vector<std::string>> ebpfLeftovers(const InstallEnv& env) {
  KT_ASSIGN_OR_RETURN(std::string dump, dumpNetfilter(env.topo->pod()));
  std::vector<std::string> left = ourLines(dump);
  for (const auto& p : pins(env)) {
    if (p.find("/pods/") != std::string::npos) left.push_back("pin " + p);
  }
  for (const char* name : {"kt_pods", "kt_port_sets", "kt_addrs"}) {
    for (const auto& m : eb::kMapSpecs) {
      if (std::string(m.name) != name) continue;
      if (size_t n = mapEntries(env, m)) {
        left.push_back(std::string(name) + ": " + std::to_string(n) + " entries");
      }
    }
  }
  if (uint32_t n = queryCount(env.topo->pod().path(), BPF_SK_LOOKUP, O_RDONLY)) {
    left.push_back("sk_lookup programs attached to the pod: " + std::to_string(n));
  }
  return left;
}

}  // namespace

BackendSpec ebpfBackend() {
  BackendSpec b = cliBackend("ebpf", {"--backend=ebpf"}, ebpfFlags);
  b.needsCgroup = true;
  b.needsBpffs = true;
  // `uninstall` finds the eBPF backend by its pins under --ebpf-bpffs-path (as Kuma's cleanup
  // runs `uninstall --ebpf-bpffs-path`); --backend=ebpf would also ask for an instance IP.
  b.uninstall = [](const InstallEnv& env) -> Status {
    std::vector<std::string> args = {"uninstall", "--ebpf-bpffs-path=" + env.bpffsDir,
                                     "--netns=" + env.topo->pod().path()};
    KT_ASSIGN_OR_RETURN(
        auto r, sys::run({tproxyPath(), args, {}, {}, std::chrono::seconds(60), nullptr, nullptr}));
    if (!r.success()) {
      return Error::runtime(sys::commandLine(tproxyPath(), args) + " failed: " + r.describe());
    }
    return okStatus();
  };
  b.state = ebpfState;
  b.leftovers = ebpfLeftovers;
  return b;
}

}  // namespace kt::e2e
