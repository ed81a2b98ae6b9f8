#include "cni/commands.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include <spdlog/spdlog.h>

#include "app/pipeline.h"
#include "backend/backend.h"
#include "base/strings.h"
#include "cni/kube_client.h"
#include "cni/kubeconfig.h"
#include "cni/pod.h"
#include "cni/pod_config.h"
#include "cni/pod_record.h"
#include "cni/result_convert.h"
#include "config/facts.h"

namespace kt::cni {

namespace {

// How long a second invocation for the same namespace waits for the first one.
constexpr std::chrono::seconds kLockTimeout{60};

// The outcome of looking at the pod: either a reason to leave it alone or its configuration.
struct PodDecision {
  std::string who;  // "ns/name" for log lines
  std::optional<std::string> skip;
  config::Config cfg;
  config::RunOptions run;
};

ErrorCode codeForKernelError(const Error& e) {
  switch (e.kind()) {
    case ErrorKind::kConfig:
      return ErrorCode::kInvalidNetworkConfig;
    case ErrorKind::kTransient:
      return ErrorCode::kTryAgainLater;
    default:
      return ErrorCode::kIoFailure;
  }
}

using Clock = std::chrono::steady_clock;

// Fills `d` or returns the failure reply. Every API attempt ends by `deadline`.
std::optional<Reply> decide(const Request& req, const NetConf& conf, Clock::time_point deadline,
                            PodDecision& d) {
  std::string ns = req.podNamespace();
  std::string name = req.podName();
  d.who = ns + "/" + name;
  if (ns.empty() || name.empty()) {
    d.skip = "CNI_ARGS has no K8S_POD_NAMESPACE/K8S_POD_NAME (not a Kubernetes pod)";
    return std::nullopt;
  }
  if (conf.namespaceExcluded(ns)) {
    d.skip = "namespace " + ns + " is in kubernetes.exclude_namespaces";
    return std::nullopt;
  }
  if (conf.kubernetes.kubeconfig.empty()) {
    return Reply::fail(ErrorCode::kInvalidNetworkConfig,
                       Error::config("kubernetes.kubeconfig is not set"));
  }
  auto kc = loadKubeConfig(conf.kubernetes.kubeconfig);
  if (!kc) {
    // A missing kubeconfig means the installer has not finished yet: worth retrying.
    if (kc.error().kind() == ErrorKind::kNotFound) {
      return Reply::fail(
          ErrorCode::kTryAgainLater,
          std::move(kc).takeError().hint("is the kuma-cni installer running on this node?"));
    }
    return Reply::fail(ErrorCode::kInvalidNetworkConfig, kc.error());
  }
  auto client = KubeClient::make(*kc);
  if (!client) return Reply::fail(ErrorCode::kInvalidNetworkConfig, client.error());
  RetryPolicy policy{conf.kubernetes.apiRetries, conf.kubernetes.apiRetryInterval,
                     conf.kubernetes.apiTimeout};
  auto body = client->getPod(ns, name, policy, deadline);
  if (!body) {
    ErrorCode code = ErrorCode::kIoFailure;
    if (body.error().kind() == ErrorKind::kNotFound) code = ErrorCode::kUnknownContainer;
    if (body.error().kind() == ErrorKind::kTransient) code = ErrorCode::kTryAgainLater;
    if (body.error().kind() == ErrorKind::kConfig) code = ErrorCode::kInvalidNetworkConfig;
    return Reply::fail(code, body.error());
  }
  auto pod = Pod::fromJson(*body);
  if (!pod) {
    return Reply::fail(ErrorCode::kIoFailure, std::move(pod).takeError().context("pod " + d.who));
  }
  // The eBPF backend needs the pod's address; in CNI mode it comes from the interface plugin's
  // result (there is no INSTANCE_IP environment here).
  std::optional<IpAddress> address;
  if (conf.prevResult) address = podAddress(*conf.prevResult);
  auto plan = planPod(*pod, conf, address);
  if (!plan) return Reply::fail(ErrorCode::kInvalidNetworkConfig, plan.error());
  if (plan->skip) {
    d.skip = std::move(plan->skip);
    return std::nullopt;
  }
  d.cfg = std::move(plan->cfg);
  d.run = std::move(plan->run);
  d.run.netnsPath = req.netns;
  return std::nullopt;
}

// ADD's and CHECK's failure in the pod's namespace: a file that is gone (the namespace above
// all) means an unknown container; else by kind (configuration errors such as the sidecar user
// or resolv.conf are the network configuration's).
Reply failIn(const char* command, const std::string& who, const std::string& netns, Error e) {
  e.context(std::string(command) + " " + who + " in " + netns);
  ErrorCode code = e.errnum() == ENOENT ? ErrorCode::kUnknownContainer : codeForKernelError(e);
  return Reply::fail(code, e);
}

bool namespaceGone(const Error& e) {
  return e.errnum() == ENOENT || e.errnum() == EINVAL;
}

// The run pipeline (app/pipeline.h) in run.netnsPath, holding the namespace's lock (the same
// lock `kuma-tproxy install/uninstall` take, so a CLI run on the node and the plugin serialize
// too) in the plugin's lock_dir. The wait for the lock ends at `deadline` at the latest.
Result<app::Pipeline> openPipeline(const config::Config& cfg, const config::RunOptions& run,
                                   app::Purpose purpose, const NetConf& conf,
                                   std::optional<Clock::time_point> deadline = std::nullopt) {
  app::LockSettings lock;
  lock.directory = conf.lockDir;
  lock.timeout = kLockTimeout;
  if (deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
    lock.timeout = std::clamp(left, std::chrono::milliseconds(0),
                              std::chrono::duration_cast<std::chrono::milliseconds>(kLockTimeout));
  }
  return app::Pipeline::open(cfg, run, purpose, lock);
}

}  // namespace

Result<PodPlan> planPod(const Pod& pod, const NetConf& conf,
                        const std::optional<IpAddress>& podAddress) {
  PodPlan plan;
  if (conf.namespaceExcluded(pod.ns)) {
    plan.skip = "namespace " + pod.ns + " is in kubernetes.exclude_namespaces";
    return plan;
  }
  if (auto reason = skipReason(pod)) {
    plan.skip = std::move(reason);
    return plan;
  }
  auto loaded = configFromPod(pod, conf.admin, podAddress);
  if (!loaded) return std::move(loaded).takeError().context("pod " + pod.ns + "/" + pod.name);
  if (loaded->disabled) {
    plan.skip = "its annotations disable transparent proxying";
    return plan;
  }
  plan.cfg = std::move(loaded->config);
  plan.run = std::move(loaded->run);
  return plan;
}

Result<std::vector<std::string>> ensureInstalled(const config::Config& cfg,
                                                 const config::RunOptions& run, const NetConf& conf,
                                                 Clock::time_point deadline) {
  KT_ASSIGN_OR_RETURN(auto pipeline,
                      openPipeline(cfg, run, app::Purpose::kInstall, conf, deadline));
  KT_ASSIGN_OR_RETURN(auto backend, pipeline.backend());
  KT_ASSIGN_OR_RETURN(auto report, backend->verify());
  if (report.ok()) return std::vector<std::string>();
  KT_TRY(backend->install());
  return std::move(report.differences);
}

Reply cmdAdd(const Request& req, const NetConf& conf) {
  const auto deadline = Clock::now() + conf.kubernetes.totalTimeout;
  auto output = conf.prevResult ? convertResult(*conf.prevResult, conf.cniVersion)
                                : Result<nlohmann::ordered_json>(emptyResult(conf.cniVersion));
  if (!output) return Reply::fail(ErrorCode::kDecodeFailure, output.error());

  PodDecision d;
  if (auto failed = decide(req, conf, deadline, d)) return *failed;
  if (d.skip) {
    spdlog::info("ADD {}: skipped: {}", d.who, *d.skip);
    return Reply::ok(std::move(*output));
  }
  auto pipeline = openPipeline(d.cfg, d.run, app::Purpose::kInstall, conf, deadline);
  if (!pipeline) return failIn("ADD", d.who, req.netns, std::move(pipeline).takeError());
  // Recorded before anything is installed, so DEL finds what this ADD used even if it is killed.
  const std::string& stateDir = conf.admin.stateDir;
  if (auto r = writePodRecord(stateDir, req.containerId, PodRecord::of(d.cfg)); !r) {
    return Reply::fail(codeForKernelError(r.error()),
                       std::move(r).takeError().context("ADD " + d.who + ": recording the set-up"));
  }
  std::string backendName;
  auto s = [&]() -> Status {
    KT_ASSIGN_OR_RETURN(auto backend, pipeline->backend());
    backendName = backend->name();
    return backend->install();
  }();
  if (!s) {
    (void)removePodRecord(stateDir, req.containerId);
    return failIn("ADD", d.who, req.netns, std::move(s).takeError());
  }
  spdlog::info("ADD {}: transparent proxy installed with {} in {}", d.who, backendName, req.netns);
  return Reply::ok(std::move(*output));
}

Reply cmdCheck(const Request& req, const NetConf& conf) {
  const auto deadline = Clock::now() + conf.kubernetes.totalTimeout;
  PodDecision d;
  if (auto failed = decide(req, conf, deadline, d)) return *failed;
  if (d.skip) {
    spdlog::info("CHECK {}: nothing to check: {}", d.who, *d.skip);
    return Reply::ok();
  }
  backend::VerifyReport report;
  auto s = [&]() -> Status {
    KT_ASSIGN_OR_RETURN(auto pipeline,
                        openPipeline(d.cfg, d.run, app::Purpose::kVerify, conf, deadline));
    KT_ASSIGN_OR_RETURN(auto backend, pipeline.backend());
    KT_ASSIGN_OR_RETURN(report, backend->verify());
    return okStatus();
  }();
  if (!s) return failIn("CHECK", d.who, req.netns, std::move(s).takeError());
  if (!report.ok()) {
    spdlog::error("CHECK {}: the transparent proxy state drifted:\n{}", d.who,
                  join(report.differences, "\n"));
    return Reply::fail(ErrorCode::kRulesDrifted, Error::runtime(join(report.differences, "\n"))
                                                     .hint("delete the pod so it is set up again"));
  }
  spdlog::info("CHECK {}: transparent proxy state matches", d.who);
  return Reply::ok();
}

Reply cmdDel(const Request& req, const NetConf& conf) {
  std::string who = req.podNamespace() + "/" + req.podName();
  const std::string& stateDir = conf.admin.stateDir;
  auto forget = [&] {
    if (auto r = removePodRecord(stateDir, req.containerId); !r) {
      spdlog::warn("DEL {}: {}", who, r.error().message());
    }
  };
  if (req.netns.empty()) {
    spdlog::info("DEL {}: no CNI_NETNS, nothing to clean up", who);
    forget();
    return Reply::ok();
  }
  struct stat st {};
  if (::stat(req.netns.c_str(), &st) != 0 && errno == ENOENT) {
    spdlog::info("DEL {}: {} is gone, nothing to clean up", who, req.netns);
    forget();
    return Reply::ok();
  }
  // The administrator's configuration, as ADD had it, with the node paths ADD recorded using
  // (a pod the administrator allowed to choose them chose its own).
  auto record = readPodRecord(stateDir, req.containerId);
  if (!record) return Reply::fail(codeForKernelError(record.error()), record.error());
  auto admin = adminConfig(conf.admin, *record);
  if (!admin) return Reply::fail(ErrorCode::kInvalidNetworkConfig, admin.error());
  config::RunOptions run = admin->run;
  run.netnsPath = req.netns;
  std::vector<std::string> failures;
  auto s = [&]() -> Status {
    KT_ASSIGN_OR_RETURN(auto pipeline,
                        openPipeline(admin->config, run, app::Purpose::kUninstall, conf));
    // Every backend, not only those that show state: removing what is not there succeeds, and
    // DEL must not depend on reading the state back first.
    for (auto& backend : pipeline.allForUninstall()) {
      if (auto u = backend->uninstall(); !u) {
        failures.push_back(backend->name() + ": " + u.error().message());
      }
    }
    return okStatus();
  }();
  if (!s) {
    if (namespaceGone(s.error())) {
      spdlog::info("DEL {}: {} is no longer a network namespace, nothing to clean up", who,
                   req.netns);
      forget();
      return Reply::ok();
    }
    return Reply::fail(codeForKernelError(s.error()), s.error());
  }
  if (!failures.empty()) {
    return Reply::fail(ErrorCode::kIoFailure,
                       Error::runtime("DEL " + who + ": " + join(failures, "; ")));
  }
  forget();
  spdlog::info("DEL {}: transparent proxy state removed from {}", who, req.netns);
  return Reply::ok();
}

Reply cmdStatus(const NetConf& conf) {
  if (conf.kubernetes.kubeconfig.empty()) {
    return Reply::fail(ErrorCode::kPluginNotAvailable,
                       Error::config("kubernetes.kubeconfig is not set"));
  }
  auto kc = loadKubeConfig(conf.kubernetes.kubeconfig);
  if (!kc) {
    return Reply::fail(ErrorCode::kPluginNotAvailable,
                       std::move(kc).takeError().hint("is the kuma-cni installer running?"));
  }
  return Reply::ok();
}

}  // namespace kt::cni
