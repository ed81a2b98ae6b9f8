#include "cni/kube_client.h"

#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

#include "base/strings.h"
#include "cni/files.h"
#include "cni/request.h"

namespace kt::cni {

KubeClient::KubeClient(HttpsClient http, KubeConfig config)
    : http_(std::move(http)),
      config_(std::move(config)),
      sleep_([](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }) {}

Result<KubeClient> KubeClient::make(const KubeConfig& config) {
  KT_ASSIGN_OR_RETURN(auto url, HttpsUrl::parse(config.server));
  TlsSettings tls;
  tls.caPem = config.caPem;
  tls.insecureSkipVerify = config.insecureSkipTlsVerify;
  tls.serverName = config.tlsServerName;
  tls.clientCertPem = config.clientCertPem;
  tls.clientKeyPem = config.clientKeyPem;
  KT_ASSIGN_OR_RETURN(auto http, HttpsClient::make(std::move(url), tls));
  return KubeClient(std::move(http), config);
}

Result<Secret> KubeClient::bearerToken() const {
  if (!config_.token.empty()) return config_.token;
  if (config_.tokenFile.empty()) return Secret();
  auto text = readFile(config_.tokenFile, 1 << 20);
  if (!text) return std::move(text).takeError().context("reading the token file");
  return Secret(std::string(trim(*text)));
}

Result<std::string> KubeClient::getPod(
    const std::string& ns, const std::string& name, const RetryPolicy& policy,
    std::optional<std::chrono::steady_clock::time_point> deadline) const {
  if (!isValidObjectName(ns) || !isValidObjectName(name)) {
    return Error::config("pod " + quoteForMessage(ns) + "/" + quoteForMessage(name) +
                         " is not a valid namespace/name");
  }
  std::string target = "/api/v1/namespaces/" + ns + "/pods/" + name;
  std::string what = "reading pod " + ns + "/" + name + " from " + http_.url().authority();
  uint32_t attempts = policy.attempts == 0 ? 1 : policy.attempts;
  using Clock = std::chrono::steady_clock;
  // What is left of the caller's deadline (the whole policy timeout when there is none).
  auto left = [&]() -> std::chrono::milliseconds {
    if (!deadline) return std::chrono::milliseconds::max();
    return std::max(
        std::chrono::milliseconds(0),
        std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()));
  };
  std::string last = "no attempt started before the deadline";
  uint32_t made = 0;
  bool outOfTime = false;
  for (uint32_t attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) {
      if (left() <= policy.interval) {
        outOfTime = true;
        break;
      }
      sleep_(policy.interval);
    }
    auto timeout = std::min(policy.timeout, left());
    if (timeout.count() <= 0) {
      outOfTime = true;
      break;
    }
    ++made;
    // Re-read every attempt: a projected service-account token may rotate meanwhile.
    KT_ASSIGN_OR_RETURN(Secret token, bearerToken());
    auto resp = http_.get(target, token, timeout);
    if (!resp) {
      if (resp.error().kind() != ErrorKind::kTransient) {
        return std::move(resp).takeError().context(what);
      }
      last = resp.error().message();
    } else if (resp->status == 200) {
      return std::move(resp->body);
    } else if (resp->status == 404) {
      return Error(ErrorKind::kNotFound, what + ": the pod does not exist (HTTP 404)");
    } else if (resp->status == 401 || resp->status == 403) {
      return Error(ErrorKind::kPermission,
                   what + ": HTTP " + std::to_string(resp->status) + " " + resp->reason)
          .hint("the kubeconfig's credentials must allow get on pods (kuma-cni's ClusterRole)");
    } else if (resp->status >= 500 || resp->status == 429) {
      last = "HTTP " + std::to_string(resp->status) + " " + resp->reason;
    } else {
      return Error::runtime(what + ": unexpected HTTP " + std::to_string(resp->status) + " " +
                            resp->reason);
    }
    spdlog::warn("{} (attempt {}/{}): {}", what, attempt, attempts, last);
  }
  if (outOfTime) {
    return Error(ErrorKind::kTransient,
                 what + ": giving up after " + std::to_string(made) +
                     " attempt(s), the deadline of this request passed: " + last)
        .hint(
            "check that the API server is reachable from the node; kubernetes.total_timeout_ms "
            "bounds one ADD or CHECK");
  }
  return Error(ErrorKind::kTransient,
               what + ": giving up after " + std::to_string(attempts) + " attempts: " + last)
      .hint("check that the API server is reachable from the node");
}

}  // namespace kt::cni
