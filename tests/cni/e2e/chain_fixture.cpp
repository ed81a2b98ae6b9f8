#include "chain_fixture.h"

#include <sys/stat.h>
#include <unistd.h>

namespace kt::cni::test {

using nlohmann::json;

ChainFixture::ChainFixture(const std::string& cniVersion, const json& kumaConf) {
  tmp_ = std::make_unique<TempDir>("chain");
  pki_ = std::make_unique<Pki>(*tmp_);
  if (!pki_->ok) {
    why_ = "openssl could not generate the test PKI";
    return;
  }
  node_ = newNetns("node");
  if (!node_) {
    why_ = "could not create the node namespace";
    return;
  }
  api_ = std::make_unique<ApiStub>(*tmp_, *pki_, *node_, kApiToken);
  if (!api_->ok()) {
    why_ = "the stub API server did not start: " + slurp(*tmp_ / "api-stub.err");
    return;
  }
  spit(*tmp_ / "kubeconfig", kubeconfigText(api_->url(), pki_->caCert, kApiToken));
  ::chmod((*tmp_ / "kubeconfig").c_str(), 0600);

  // kuma-cni is the built binary under its plugin name (argv[0] dispatch).
  ::mkdir((*tmp_ / "bin").c_str(), 0755);
  if (::symlink(KT_TPROXY_BINARY, (*tmp_ / "bin/kuma-cni").c_str()) != 0) {
    why_ = "symlink kuma-cni";
    return;
  }
  // The bridge lives in our node namespace, so its name cannot clash with other tests; the
  // subnet is derived from the pid all the same.
  int pid = ::getpid();
  subnetPrefix_ =
      "10." + std::to_string(100 + pid % 100) + "." + std::to_string(pid / 100 % 250) + ".";
  json kuma = {{"type", "kuma-cni"},
               {"log_level", "debug"},
               {"log_file", *tmp_ / "kuma-cni.log"},
               {"lock_dir", *tmp_ / "locks"},
               {"state_dir", *tmp_ / "state"},
               {"kubernetes",
                {{"kubeconfig", *tmp_ / "kubeconfig"},
                 {"exclude_namespaces", {"kube-system"}},
                 {"api_retries", 5},
                 {"api_retry_interval_ms", 50},
                 {"api_timeout_ms", 5000}}}};
  kuma.merge_patch(kumaConf);
  json conflist = {{"cniVersion", cniVersion},
                   {"name", "kt-cni-test"},
                   {"plugins",
                    {{{"type", "bridge"},
                      {"bridge", "ktbr" + std::to_string(pid % 100000)},
                      {"isGateway", true},
                      {"ipMasq", false},
                      {"ipam",
                       {{"type", "host-local"},
                        {"dataDir", *tmp_ / "ipam"},
                        {"ranges", {{{{"subnet", subnetPrefix_ + "0/24"}}}}}}}},
                     {{"type", "loopback"}},
                     kuma}}};
  runtime_ = std::make_unique<CniRuntime>(
      conflist, std::vector<std::string>{*tmp_ / "bin", "/usr/lib/cni"}, node_->fd());
  json plain = conflist;
  plain["plugins"].erase(plain["plugins"].size() - 1);
  plainRuntime_ = std::make_unique<CniRuntime>(
      plain, std::vector<std::string>{*tmp_ / "bin", "/usr/lib/cni"}, node_->fd());
  ok_ = true;
}

ChainFixture::~ChainFixture() {
  // Pods are removed by their owners; deleting the node namespace removes the bridge.
  runtime_.reset();
  plainRuntime_.reset();
  api_.reset();
  node_.reset();
}

json ChainFixture::kumaConf(const json& prevResult) const {
  return {{"cniVersion", "1.0.0"},
          {"name", "kt-cni-test"},
          {"type", "kuma-cni"},
          {"log_level", "debug"},
          {"log_file", *tmp_ / "kuma-cni.log"},
          {"lock_dir", *tmp_ / "locks"},
          {"state_dir", *tmp_ / "state"},
          {"kubernetes", {{"kubeconfig", *tmp_ / "kubeconfig"}}},
          {"prevResult", prevResult}};
}

ChainFixture::Pod ChainFixture::pod(const std::string& k8sNamespace, const std::string& name) {
  Pod p;
  p.ns = newNetns("pod");
  if (!p.ns) return p;  // the failure is recorded
  p.attachment.containerId = "sandbox" + std::to_string(::getpid()) + "x" + std::to_string(pods_++);
  p.attachment.netns = runtimePath(*p.ns);
  p.attachment.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + k8sNamespace +
                      ";K8S_POD_NAME=" + name +
                      ";K8S_POD_INFRA_CONTAINER_ID=" + p.attachment.containerId;
  return p;
}

std::string podAddresses(const Netns& ns) {
  std::string out;
  runTool({"ip", "-n", ns.name(), "-o", "addr", "show", "dev", "eth0"}, &out);
  return out;
}

}  // namespace kt::cni::test
