// The config stage's entry points: every source merged by precedence, parsed, validated.
//
// Precedence, lowest first: built-in defaults < config file < annotations < environment
// (KUMA_TRANSPARENT_PROXY_*) < explicit flags. A later layer replaces a setting's value (lists
// are replaced too, not merged); within one layer a later scalar wins and list values add up in
// order. Every value of every source is parsed, including overridden ones, and every problem
// (bad value, unreadable or malformed input, conflicting settings) is reported together in one
// kConfig Error naming each source and bad value. Nothing here changes the machine or logs:
// warnings are returned for the caller to log.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "config/environment.h"
#include "config/flag_values.h"
#include "config/source.h"

namespace kt::config {

// Reads all of stdin (at most maxBytes; more is an error). Called at most once per load.
using StdinReader = std::function<Result<std::string>(size_t maxBytes)>;

// Largest Pod manifest and annotations file accepted.
inline constexpr size_t kMaxManifestBytes = 4 * 1024 * 1024;
inline constexpr size_t kMaxAnnotationsFileBytes = 1024 * 1024;

struct LoadRequest {
  std::vector<FlagValue> flags;  // setting flags explicitly given, in command-line order
  std::string configFile;        // --config-file: a path, "-" = stdin, "" = none
  // Annotation inputs, merged in this order (a later one wins per key).
  std::string annotationsFile;           // --annotations-file (downward-API format), "" = none
  std::string podManifest;               // --pod-manifest: a path, "-" = stdin, "" = none
  std::vector<std::string> annotations;  // --annotation key=value, in order
  // The process environment: KUMA_TRANSPARENT_PROXY_* and the eBPF instance-IP variable are
  // read from here, never from getenv.
  Environment environment;
  StdinReader readStdin;  // empty = stdin is not available ("-" is then a problem)
  bool cniMode = false;   // numeric uids only; also settable by the config file's cniMode
  // For uninstall: settings only install needs (the eBPF instance IP) are not required.
  bool uninstall = false;
};

struct Loaded {
  Config config;
  // How the run goes: --dry-run, --netns, --verbose, and CNI mode (LoadRequest::cniMode, the
  // config file's cniMode, always for the CNI entry points below).
  RunOptions run;
  // kuma.io/transparent-proxying is disabled: there is nothing to install. Problems found in
  // the other settings are then downgraded to warnings (they cannot take effect).
  bool disabled = false;
  // Setting key -> where its value came from, for every setting not at its built-in default.
  std::map<std::string, Source> provenance;
  // Deprecations, unknown annotations / variables, settings without effect: for the caller to
  // log as warnings.
  std::vector<std::string> warnings;
};

// Loads the configuration of one install / verify run.
Result<Loaded> load(const LoadRequest& req);

// The annotation layer alone over the built-in defaults, for the CNI plugin (which gets the
// pod's annotations from the API server). `sourceName` names them in messages and provenance
// (e.g. "pod default/web-0"). The eBPF instance IP is not required here.
Result<Loaded> fromAnnotations(const std::map<std::string, std::string>& annotations,
                               const std::string& sourceName, bool cniMode);

// What the node administrator decides for the pods of a node in CNI mode (the CNI network
// configuration; docs/security.md). Pods may set pod-level settings (Scope::kPod) and the
// node-level ones listed in allowPodSettings, nothing else.
struct PodPolicy {
  // The administrator's layer in the config-file schema (JSON or YAML text); "" = none. Every
  // key is allowed here, node-level ones included.
  std::string adminConfig;
  // How messages and provenance name that layer.
  std::string adminConfigName = "network configuration tproxy_config";
  // Canonical keys of node-level settings pods may set anyway.
  std::set<std::string, std::less<>> allowPodSettings;
  // Backends a pod may choose (by annotation or its config annotation); empty = any.
  std::vector<Backend> allowedBackends;
};

// The configuration of one pod in CNI mode. Layers, lowest first: built-in defaults <
// policy.adminConfig < the YAML of annotation traffic.kuma.io/transparent-proxy-config (what
// Kuma's injector merged from its ConfigMap and the control plane) < the pod's other
// annotations (Kuma's ConfigMap precedence: annotation > ConfigMap). A pod layer that sets a
// node-level setting not in policy.allowPodSettings, or chooses a backend not in
// policy.allowedBackends, is a problem naming the annotation (and key) and the administrator
// setting that would allow it: the load fails, nothing is silently honoured or dropped.
// RunOptions::cniMode is always set. `podAddress` (the address the interface plugin gave the
// pod, if known) becomes ebpf.instanceIP when no layer sets it: in CNI mode there is no
// INSTANCE_IP environment, and the eBPF instance IP is not required. Used by the CNI plugin for
// ADD and CHECK.
Result<Loaded> fromPodAnnotations(const std::map<std::string, std::string>& annotations,
                                  const std::string& sourceName, const PodPolicy& policy,
                                  const std::optional<IpAddress>& podAddress = {});

// The administrator's layer alone over the built-in defaults (CNI DEL, which has no pod).
Result<Loaded> fromAdminConfig(const PodPolicy& policy);

// One line per setting that is not at its default, in table order:
// "redirect.inbound.port = 15007 (flag --redirect-inbound-port)".
std::string describeProvenance(const Loaded& loaded);

}  // namespace kt::config
