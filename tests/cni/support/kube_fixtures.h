// Fixtures for tests that need a network namespace and a stub Kubernetes API server:
//   Netns     a named network namespace (testing::ScratchNetns: ip netns add/del, loopback up,
//             unique per test, an open descriptor, early removal);
//   Pki       a throwaway CA with a server certificate for 127.0.0.1/localhost and a client
//             certificate, generated with the openssl tool;
//   ApiStub   tests/cni/stub/kube_api_stub.py serving pod fixtures over HTTPS inside a Netns.
// All of them need root (namespaces); everything is removed in destructors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.h"
#include "support/scratch_netns.h"

namespace kt::cni::test {

using ::kt::testing::isRoot;

// Runs a program (absolute path or name found in PATH) and returns its exit code; stdout and
// stderr go to `output` when given.
int runTool(const std::vector<std::string>& argv, std::string* output = nullptr, int netnsFd = -1);

using Netns = ::kt::testing::ScratchNetns;

// A new namespace "kt-cni-<tag>-<pid>-<n>", or nullptr with a test failure recorded.
std::unique_ptr<Netns> newNetns(const std::string& tag);

// The namespace's path as container runtimes pass it in CNI_NETNS and as the installer's repair
// walk (which lists /var/run/netns) reports it.
inline std::string runtimePath(const Netns& ns) {
  return "/var/run/netns/" + ns.name();
}

struct Pki {
  explicit Pki(const TempDir& dir);
  bool ok = false;
  std::string caCert, caKey, serverCert, serverKey, clientCert, clientKey;
  std::string otherCaCert;  // an unrelated CA, for verification failures
};

class ApiStub {
 public:
  // Serves <dir>/fixtures; `token` empty = no token check; `clientCa` = require client certs.
  ApiStub(const TempDir& dir, const Pki& pki, const Netns& ns, const std::string& token,
          bool requireClientCert = false);
  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

  void addPod(const nlohmann::json& pod);  // by metadata.namespace / metadata.name
  // Behaviour file for one pod: fail_first, fail_status, delay_ms, status.
  void setBehaviour(const std::string& ns, const std::string& name, const nlohmann::json& b);
  // Behaviour of the node pod list (fail_first, fail_status, status).
  void setListBehaviour(const nlohmann::json& b);
  // The request log: one object per request (path, status, token_ok).
  std::vector<nlohmann::json> requests() const;

 private:
  std::string fixtures_, log_;
  std::unique_ptr<Child> child_;
  int port_ = 0;
};

// A pod object as the API returns it. `injected` adds the kuma-sidecar container and the
// kuma.io/sidecar-injected annotation.
nlohmann::json makePod(const std::string& ns, const std::string& name, bool injected,
                       const nlohmann::json& extraAnnotations = nlohmann::json::object());

// A kubeconfig text pointing at `server` with the CA file and a token (or client cert/key).
std::string kubeconfigText(const std::string& server, const std::string& caFile,
                           const std::string& token, const std::string& clientCert = "",
                           const std::string& clientKey = "");

}  // namespace kt::cni::test
