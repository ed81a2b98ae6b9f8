// Reading a pod from the Kubernetes API with the plugin's kubeconfig, with retries.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/result.h"
#include "cni/https_client.h"
#include "cni/kubeconfig.h"

namespace kt::cni {

struct RetryPolicy {
  uint32_t attempts = 30;  // total tries, >= 1
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{10000};  // per attempt
};

class KubeClient {
 public:
  static Result<KubeClient> make(const KubeConfig& config);

  // GET /api/v1/namespaces/{ns}/pods/{name} and returns the body (JSON text).
  //
  // Retried (policy.attempts in total, policy.interval apart, all before `deadline`) on
  // connection errors, timeouts, 5xx and 429; not on other 4xx. Errors: kNotFound for 404,
  // kPermission for 401/403 (with a hint about the service account), kTransient when the attempts
  // are used up, kConfig for TLS set-up or verification problems. ns and name must be valid object
  // names (checked again here: they go into the URL path).
  //
  // `deadline` bounds all attempts together (nullopt: only policy.attempts does): an attempt's
  // timeout is cut to what is left, no pause runs past it and no attempt starts after it.
  Result<std::string> getPod(
      const std::string& ns, const std::string& name, const RetryPolicy& policy,
      std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt) const;

  // Replaces the pause between attempts (tests; default std::this_thread::sleep_for).
  void setSleeper(std::function<void(std::chrono::milliseconds)> sleeper) {
    sleep_ = std::move(sleeper);
  }

 private:
  KubeClient(HttpsClient http, KubeConfig config);
  Result<Secret> bearerToken() const;

  HttpsClient http_;
  KubeConfig config_;
  std::function<void(std::chrono::milliseconds)> sleep_;
};

}  // namespace kt::cni
