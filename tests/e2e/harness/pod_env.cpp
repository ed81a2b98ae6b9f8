#include "harness/pod_env.h"

#include "harness/names.h"

namespace kt::e2e {

Result<std::unique_ptr<PodEnv>> PodEnv::make(const PodEnvOptions& opt) {
  sweepLeftovers();
  std::unique_ptr<PodEnv> env(new PodEnv());
  KT_ASSIGN_OR_RETURN(env->topo_, Topology::make(opt.tag));
  if (opt.cgroup) {
    KT_ASSIGN_OR_RETURN(env->cgroup_, ScratchCgroup::make(uniqueName("cg")));
  }
  if (opt.bpffs) {
    KT_ASSIGN_OR_RETURN(env->bpffs_, ScratchBpffs::make(uniqueName("bpffs")));
  }
  if (opt.startProcesses) KT_TRY(env->startProcesses());
  return env;
}

PodEnv::~PodEnv() {
  // Explicit order: processes, then cgroup and bpffs, then the namespaces.
  sidecar_.reset();
  app_.reset();
  peer_.reset();
  cgroup_.reset();
  bpffs_.reset();
  topo_.reset();
}

InstallEnv PodEnv::installEnv() const {
  return {topo_.get(), cgroup_ ? cgroup_->path() : "", bpffs_ ? bpffs_->path() : ""};
}

Placement PodEnv::inPod(uint32_t uid) const {
  return {cgroup_ ? cgroup_->path() : "", topo_->pod().path(), uid, uid};
}

Placement PodEnv::peer() const {
  return {"", topo_->peer().path(), kAppUid, kAppUid};
}

Status PodEnv::startProcesses() {
  KT_ASSIGN_OR_RETURN(sidecar_, startSidecar(sidecarUser(), SidecarPorts{}));
  KT_ASSIGN_OR_RETURN(app_, startServer(app(), "app", {kAppPort, kExcludedInboundPort}));
  KT_ASSIGN_OR_RETURN(peer_,
                      startServer(peer(), "peer", {kPeerPort, kExcludedOutboundPort}, kDnsPort));
  return okStatus();
}

Status PodEnv::stopProcesses() {
  Status first;
  for (auto* p : {&sidecar_, &app_, &peer_}) {
    if (!*p) continue;
    Status s = (*p)->stop();
    if (!s && first) first = s;
    p->reset();
  }
  return first;
}

}  // namespace kt::e2e
