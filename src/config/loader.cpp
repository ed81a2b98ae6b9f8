#include "config/loader.h"

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "config/annotations.h"
#include "config/assignment.h"
#include "config/config_file.h"
#include "config/input.h"
#include "config/settings.h"
#include "config/validate.h"
#include "config/values.h"

namespace kt::config {

namespace {

// The layers in precedence order, lowest first (defaults are the zeroth, implicit).
// kAdminLayer is CNI mode's administrator layer (network configuration), below kFileLayer
// (there: the pod's config annotation). Only the order of add() calls decides precedence; the
// number tells list values of one layer (which add up) from those of a later one (which replace).
enum Layer { kFileLayer = 1, kAnnotationLayer, kEnvironmentLayer, kFlagLayer, kAdminLayer };

struct Winner {
  Value value;
  Source source;
  int layer = 0;
};

size_t listSize(const Value& v) {
  return std::visit(
      [](const auto& x) -> size_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::vector<PortRange>> ||
                      std::is_same_v<T, std::vector<Cidr>> ||
                      std::is_same_v<T, std::vector<UidPortExclusion>>) {
          return x.size();
        } else {
          return 0;
        }
      },
      v);
}

// Appends the items of `more` to `into` (both the same list alternative).
void appendList(Value& into, Value&& more) {
  std::visit(
      [&](auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::vector<PortRange>> ||
                      std::is_same_v<T, std::vector<Cidr>> ||
                      std::is_same_v<T, std::vector<UidPortExclusion>>) {
          auto& y = std::get<T>(more);
          x.insert(x.end(), std::make_move_iterator(y.begin()), std::make_move_iterator(y.end()));
        }
      },
      into);
}

size_t listLimit(ValueKind kind) {
  switch (kind) {
    case ValueKind::kPortList:
      return kMaxPortEntries;
    case ValueKind::kCidrList:
      return kMaxCidrEntries;
    case ValueKind::kUidExclusions:
      return kMaxUidExclusions;
    default:
      return 0;
  }
}

// Merges the layers by precedence, then applies, post-processes and validates.
class Merger {
 public:
  Merger(Problems& problems, std::vector<std::string>& warnings)
      : problems_(problems), warnings_(warnings) {}

  void add(Layer layer, const std::vector<Assignment>& assignments) {
    for (const auto& a : assignments) {
      auto v = parse(a);
      if (!v) continue;
      auto it = winners_.find(a.setting);
      if (a.setting->isList() && it != winners_.end() && it->second.layer == layer) {
        appendList(it->second.value, std::move(*v));
      } else {
        winners_[a.setting] = Winner{std::move(*v), a.source, layer};
      }
    }
  }

  // The layer that set `key`, 0 = none (the default).
  int layerOf(std::string_view key) const {
    auto it = winners_.find(findSetting(key));
    return it == winners_.end() ? 0 : it->second.layer;
  }
  const Source* sourceOf(std::string_view key) const {
    auto it = winners_.find(findSetting(key));
    return it == winners_.end() ? nullptr : &it->second.source;
  }

  // `env` = nullptr: the eBPF instance IP is not required (uninstall, CNI); then `podAddress`,
  // if set, is its value when no layer sets it.
  Loaded finish(const Environment* env, bool cniMode, const std::optional<IpAddress>& podAddress) {
    Loaded out;
    SettingTarget target;
    for (const auto& s : settings()) {
      auto it = winners_.find(&s);
      if (it == winners_.end()) continue;
      if (size_t limit = listLimit(s.kind); limit && listSize(it->second.value) > limit) {
        problems_.add(it->second.source, std::to_string(listSize(it->second.value)) +
                                             " entries given; at most " + std::to_string(limit) +
                                             " are accepted");
        continue;
      }
      s.apply(target, it->second.value);
      out.provenance[std::string(s.key)] = it->second.source;
    }
    out.config = std::move(target.config);
    out.run = std::move(target.run);
    out.run.cniMode = out.run.cniMode || cniMode;
    Config& cfg = out.config;
    if (auto it = out.provenance.find("ipFamilyMode"); it != out.provenance.end()) {
      auto kind = it->second.kind;
      cfg.ipFamilyModeExplicit = kind == Source::Kind::kFlag || kind == Source::Kind::kEnvironment;
    }
    normalizeLists(cfg);
    if (env) {
      instanceIp(*env, out);
    } else if (cfg.ebpf.instanceIps.empty() && podAddress) {
      cfg.ebpf.instanceIps = {*podAddress};
    }
    validate(cfg, out.run.cniMode, out.provenance, problems_, warnings_);
    // The probe proxy port is the sidecar's own listener for kubelet probes: never redirected.
    // With an include list it is not redirected anyway (and adding it would be a conflict).
    uint16_t probe = cfg.inbound.applicationProbeProxyPort;
    if (probe != 0 && cfg.inbound.includePorts.empty()) {
      cfg.inbound.excludePorts.push_back(PortRange{probe, probe});
      cfg.inbound.excludePorts = normalizePorts(std::move(cfg.inbound.excludePorts));
    }
    out.disabled = !cfg.transparentProxyEnabled;
    return out;
  }

 private:
  std::optional<Value> parse(const Assignment& a) {
    const Setting& s = *a.setting;
    if (!s.isList()) {
      if (a.values.size() != 1) {
        problems_.add(a.source, "expected exactly one value");
        return std::nullopt;
      }
      auto v = parseSettingValue(s, a.values[0].text);
      if (!v) {
        problems_.add(a.values[0].source, v.error().message());
        return std::nullopt;
      }
      return std::move(v).value();
    }
    std::optional<Value> all;
    bool failed = false;
    for (const auto& raw : a.values) {
      auto v = parseSettingValue(s, raw.text);
      if (!v) {
        problems_.add(raw.source, v.error().message());
        failed = true;
        continue;
      }
      if (!all) {
        all = std::move(v).value();
      } else {
        appendList(*all, std::move(v).value());
      }
    }
    if (failed) return std::nullopt;
    if (all) return all;
    // No values: an explicit empty list of the setting's kind.
    if (s.kind == ValueKind::kPortList) return Value(std::vector<PortRange>{});
    if (s.kind == ValueKind::kCidrList) return Value(std::vector<Cidr>{});
    return Value(std::vector<UidPortExclusion>{});
  }

  // The eBPF backend needs the pod's IP: --ebpf-instance-ip, else the variable named by
  // ebpf.instanceIPEnvVarName (INSTANCE_IP, filled from status.podIP by the injector).
  void instanceIp(const Environment& env, Loaded& out) {
    Config& cfg = out.config;
    if (cfg.effectiveBackend() != Backend::kEbpf || !cfg.ebpf.instanceIps.empty()) return;
    const std::string& var = cfg.ebpf.instanceIpEnvVarName;
    auto it = env.find(var);
    if (it != env.end() && !it->second.empty()) {
      Source src = Source::env(var);
      auto ips = parseInstanceIps(it->second);
      if (!ips) {
        problems_.add(src, ips.error().message());
        return;
      }
      cfg.ebpf.instanceIps = std::move(ips).value();
      out.provenance["ebpf.instanceIP"] = src;
      return;
    }
    problems_.add(
        "ebpf.instanceIP: the eBPF backend needs the pod's IP address: pass "
        "--ebpf-instance-ip or set the " +
        safeText(var) + " variable");
  }

  Problems& problems_;
  std::vector<std::string>& warnings_;
  std::map<const Setting*, Winner> winners_;
};

// Reads an input given by `flag` ("-" = stdin). Problems are added, nullopt returned.
std::optional<std::string> readInput(const std::string& flag, const std::string& path,
                                     size_t maxBytes, const StdinReader& readStdin,
                                     Problems& problems) {
  if (path == "-" && !readStdin) {
    problems.add(Source::flag(flag), "'-' (stdin) is not accepted here");
    return std::nullopt;
  }
  auto text = path == "-" ? readStdin(maxBytes) : readFileLimited(path, maxBytes);
  if (!text) {
    problems.add(Source::flag(flag), text.error().message());
    return std::nullopt;
  }
  return std::move(text).value();
}

Result<Loaded> finishOrError(Merger& merger, const Environment* env, bool cniMode,
                             Problems& problems, std::vector<std::string>& warnings,
                             const std::function<void(const Loaded&)>& check = {},
                             const std::optional<IpAddress>& podAddress = {}) {
  Loaded out = merger.finish(env, cniMode, podAddress);
  if (check) check(out);
  if (!problems.empty()) {
    if (!out.disabled) return problems.toError();
    // Nothing will be installed, so a bad value cannot take effect: report, do not fail.
    for (const auto& line : problems.lines())
      warnings.push_back(line + " (ignored: transparent proxying is disabled)");
  }
  out.warnings = std::move(warnings);
  return out;
}

void addAdminLayer(Merger& merger, const PodPolicy& policy, Problems& problems) {
  if (policy.adminConfig.empty()) return;
  merger.add(kAdminLayer,
             configFileAssignments(policy.adminConfig, policy.adminConfigName, problems));
}

// A value equal to the one the administrator's layer gives is accepted: it decides nothing
// (Kuma's injector writes the control plane's eBPF paths into every pod it injects).
bool sameAsAdmin(const Assignment& a, const Config& admin) {
  const Setting& s = *a.setting;
  if (s.isList() || a.values.size() != 1) return false;
  auto v = parseSettingValue(s, a.values[0].text);
  if (!v) return false;  // reported as a bad value where it is parsed
  SettingTarget before{admin, {}};
  SettingTarget after = before;
  s.apply(after, *v);
  return s.show(after) == s.show(before);
}

// The pod layers' assignments that the policy allows; each one it does not is a problem naming
// its source and the administrator setting that would allow it.
std::vector<Assignment> allowedForPod(std::vector<Assignment> in, const PodPolicy& policy,
                                      const Config& admin, Problems& problems) {
  std::vector<Assignment> out;
  for (auto& a : in) {
    const Setting& s = *a.setting;
    if (s.scope == Scope::kNode && policy.allowPodSettings.count(s.key) == 0 &&
        !sameAsAdmin(a, admin)) {
      problems.add(a.source,
                   "sets the node-level setting " + std::string(s.key) +
                       ", which a pod may not set in CNI mode; the node administrator can allow "
                       "it by adding \"" +
                       std::string(s.key) +
                       "\" to allow_pod_settings in the kuma-cni network configuration");
      continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

// A backend chosen by a pod layer must be one the administrator allows.
void checkPodBackend(const Merger& merger, const PodPolicy& policy, const Loaded& out,
                     Problems& problems) {
  if (policy.allowedBackends.empty()) return;
  const Source* chooser = nullptr;
  for (const char* key : {"backend", "ebpf.enabled"}) {
    int layer = merger.layerOf(key);
    if (layer == kFileLayer || layer == kAnnotationLayer) chooser = merger.sourceOf(key);
  }
  if (chooser == nullptr) return;
  const Config& cfg = out.config;
  auto allowed = [&](Backend b) {
    return std::find(policy.allowedBackends.begin(), policy.allowedBackends.end(), b) !=
           policy.allowedBackends.end();
  };
  if (allowed(cfg.backend) || allowed(cfg.effectiveBackend())) return;
  std::vector<std::string> names;
  for (Backend b : policy.allowedBackends)
    names.push_back(backendName(b));
  problems.add(*chooser, std::string("chooses the ") + backendName(cfg.effectiveBackend()) +
                             " backend, which the node administrator does not allow for pods "
                             "(allowed_backends in the kuma-cni network configuration: " +
                             join(names, ", ") + ")");
}

}  // namespace

Result<Loaded> load(const LoadRequest& req) {
  Problems problems;
  std::vector<std::string> warnings;
  Merger merger(problems, warnings);

  if (req.configFile == "-" && req.podManifest == "-") {
    problems.add("flags --config-file and --pod-manifest: only one of them can read stdin ('-')");
  } else if (!req.configFile.empty()) {
    if (auto text = readInput("--config-file", req.configFile, kMaxConfigFileBytes, req.readStdin,
                              problems)) {
      merger.add(kFileLayer, configFileAssignments(*text, req.configFile, problems));
    }
  }

  Annotations annotations;
  if (!req.annotationsFile.empty()) {
    if (auto text = readInput("--annotations-file", req.annotationsFile, kMaxAnnotationsFileBytes,
                              nullptr, problems)) {
      readAnnotationsFile(*text, req.annotationsFile, annotations, problems);
    }
  }
  if (!req.podManifest.empty() && !(req.podManifest == "-" && req.configFile == "-")) {
    if (auto text = readInput("--pod-manifest", req.podManifest, kMaxManifestBytes, req.readStdin,
                              problems)) {
      readPodManifest(*text, req.podManifest, annotations, problems);
    }
  }
  for (const auto& a : req.annotations)
    readAnnotationFlag(a, annotations, problems);
  merger.add(kAnnotationLayer, annotationAssignments(annotations, problems, warnings));

  merger.add(kEnvironmentLayer, environmentAssignments(req.environment, warnings));
  merger.add(kFlagLayer, flagAssignments(req.flags, problems, warnings));
  return finishOrError(merger, req.uninstall ? nullptr : &req.environment, req.cniMode, problems,
                       warnings);
}

Result<Loaded> fromAnnotations(const std::map<std::string, std::string>& annotations,
                               const std::string& sourceName, bool cniMode) {
  Problems problems;
  std::vector<std::string> warnings;
  Merger merger(problems, warnings);
  Annotations in;
  for (const auto& [key, value] : annotations)
    in[key] = Annotation{value, Source{Source::Kind::kAnnotation, key, sourceName, 0}};
  merger.add(kAnnotationLayer, annotationAssignments(in, problems, warnings));
  return finishOrError(merger, nullptr, cniMode, problems, warnings);
}

Result<Loaded> fromPodAnnotations(const std::map<std::string, std::string>& annotations,
                                  const std::string& sourceName, const PodPolicy& policy,
                                  const std::optional<IpAddress>& podAddress) {
  // The administrator's values alone, to tell a pod's no-op repetition of them from a change.
  Config admin;
  if (!policy.adminConfig.empty()) {
    KT_ASSIGN_OR_RETURN(auto adminOnly, fromAdminConfig(policy));
    admin = std::move(adminOnly.config);
  }
  Problems problems;
  std::vector<std::string> warnings;
  Merger merger(problems, warnings);
  addAdminLayer(merger, policy, problems);
  Annotations in;
  for (const auto& [key, value] : annotations) {
    if (key == kConfigAnnotation) {
      merger.add(
          kFileLayer,
          allowedForPod(configFileAssignments(
                            value, sourceName + " annotation " + kConfigAnnotation, problems),
                        policy, admin, problems));
      continue;
    }
    in[key] = Annotation{value, Source{Source::Kind::kAnnotation, key, sourceName, 0}};
  }
  merger.add(kAnnotationLayer,
             allowedForPod(annotationAssignments(in, problems, warnings), policy, admin, problems));
  return finishOrError(
      merger, nullptr, true, problems, warnings,
      [&](const Loaded& out) { checkPodBackend(merger, policy, out, problems); }, podAddress);
}

Result<Loaded> fromAdminConfig(const PodPolicy& policy) {
  Problems problems;
  std::vector<std::string> warnings;
  Merger merger(problems, warnings);
  addAdminLayer(merger, policy, problems);
  return finishOrError(merger, nullptr, true, problems, warnings);
}

std::string describeProvenance(const Loaded& loaded) {
  std::string out;
  for (const auto& s : settings()) {
    auto it = loaded.provenance.find(std::string(s.key));
    if (it == loaded.provenance.end()) continue;
    std::string value = s.show(SettingTarget{loaded.config, loaded.run});
    out += std::string(s.key) + " = " + (value.empty() ? "''" : safeText(value)) + " (" +
           it->second.describe() + ")\n";
  }
  return out;
}

}  // namespace kt::config
