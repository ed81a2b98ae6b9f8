// A node in a box: a "node" network namespace holding the stub API server and a bridge, a plugin
// chain bridge (host-local IPAM) -> loopback -> kuma-cni run by the test runtime, and pod
// namespaces attached to it. Everything is named after the test process and removed afterwards.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cni_runtime.h"
#include "kube_fixtures.h"

namespace kt::cni::test {

inline constexpr char kApiToken[] = "kt-e2e-token-8d41c6f0b2";

class ChainFixture {
 public:
  // cniVersion of the conflist; kumaConf is merged into the kuma-cni entry.
  explicit ChainFixture(const std::string& cniVersion,
                        const nlohmann::json& kumaConf = nlohmann::json::object());
  ~ChainFixture();
  bool ok() const { return ok_; }
  std::string whyNot() const { return why_; }

  ApiStub& api() { return *api_; }
  CniRuntime& runtime() { return *runtime_; }
  // The same chain without kuma-cni: a pod attached while kuma-cni was not chained yet.
  CniRuntime& runtimeWithoutKuma() { return *plainRuntime_; }
  const Pki& pki() const { return *pki_; }
  // kuma-cni's own configuration (as the runtime passes it) with `prevResult`, for invoking
  // the plugin alone.
  nlohmann::json kumaConf(const nlohmann::json& prevResult) const;
  const TempDir& tmp() const { return *tmp_; }
  const Netns& node() const { return *node_; }
  std::string kumaLog() const { return slurp(*tmp_ / "kuma-cni.log"); }
  std::string subnetPrefix() const { return subnetPrefix_; }  // "10.X.Y."

  // A pod namespace attached under the given Kubernetes identity.
  struct Pod {
    std::unique_ptr<Netns> ns;
    Attachment attachment;
  };
  Pod pod(const std::string& k8sNamespace, const std::string& name);

 private:
  bool ok_ = false;
  std::string why_;
  std::unique_ptr<TempDir> tmp_;
  std::unique_ptr<Pki> pki_;
  std::unique_ptr<Netns> node_;
  std::unique_ptr<ApiStub> api_;
  std::unique_ptr<CniRuntime> runtime_;
  std::unique_ptr<CniRuntime> plainRuntime_;
  std::string subnetPrefix_;
  int pods_ = 0;
};

// `ip -n NS -o addr show dev eth0` output, for address assertions.
std::string podAddresses(const Netns& ns);

}  // namespace kt::cni::test
