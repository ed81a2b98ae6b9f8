#include "config/annotations.h"

#include <set>

#include "base/strings.h"
#include "config/go_quote.h"
#include "config/values.h"
#include "config/yaml_util.h"

namespace kt::config {

namespace {

constexpr std::string_view kGateway = "kuma.io/gateway";
constexpr std::string_view kBuiltinDnsKeys[] = {"kuma.io/builtindns", "kuma.io/builtin-dns"};
constexpr std::string_view kExperimentalEngine = "kuma.io/transparent-proxying-experimental-engine";

// Annotations Kuma defines that do not change how traffic is intercepted (they configure the
// injector, Envoy or the control plane): skipped without a warning.
const std::set<std::string, std::less<>>& ignoredAnnotations() {
  static const std::set<std::string, std::less<>> keys = {
      "kuma.io/mesh",
      "kuma.io/sidecar-injection",
      "kuma.io/sidecar-injected",
      "kuma.io/sidecar-env-vars",
      "kuma.io/sidecar-drain-time",
      "kuma.io/container-patches",
      "kuma.io/init-first",
      "kuma.io/service-account-token-volume",
      "kuma.io/virtual-probes",
      "kuma.io/virtual-probes-port",
      "kuma.io/envoy-admin-port",
      "kuma.io/envoy-log-level",
      "kuma.io/envoy-component-log-level",
      "kuma.io/builtin-dns-logging",
      "kuma.io/direct-access-services",
      "kuma.io/transparent-proxying-reachable-services",
      "kuma.io/transparent-proxying-reachable-backends",
      "kuma.io/ingress",
      "kuma.io/ingress-public-address",
      "kuma.io/ingress-public-port",
      "kuma.io/egress",
      "kuma.io/xds-transport-protocol-variant",
      "kuma.io/workload",
  };
  return keys;
}

// Every annotation key this file knows, for "did you mean ...?" on an unknown one.
const std::vector<std::string>& knownKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out(ignoredAnnotations().begin(), ignoredAnnotations().end());
    for (const auto& s : settings())
      for (auto k : s.annotations)
        out.emplace_back(k);
    out.emplace_back(kGateway);
    out.emplace_back(kExperimentalEngine);
    for (auto k : kBuiltinDnsKeys)
      out.emplace_back(k);
    return out;
  }();
  return keys;
}

// Known annotations that would change interception but are not read here: a specific warning.
std::string_view unsupportedReason(std::string_view key) {
  if (key == kConfigAnnotation) {
    return "not read by the config stage; pass the configuration with --config-file";
  }
  if (key == "traffic.kuma.io/transparent-proxy-configmap-name") {
    return "ConfigMaps are not read; pass the configuration with --config-file";
  }
  if (key == "kuma.io/transparent-proxying-engine-v1") {
    return "the v1 engine no longer exists; the annotation has no effect";
  }
  return {};
}

void fileProblem(Problems& problems, const std::string& path, int line, const std::string& msg) {
  problems.add("annotations file " + fileLocation(path, line) + ": " + msg);
}

void addAnnotation(Annotations& out, std::string key, std::string value, Source source) {
  out[key] = Annotation{std::move(value), std::move(source)};
}

}  // namespace

bool validAnnotationKey(std::string_view key) {
  if (key.empty() || key.size() > 317) return false;
  auto slash = key.find('/');
  if (slash != std::string_view::npos && (slash == 0 || slash + 1 == key.size() ||
                                          key.find('/', slash + 1) != std::string_view::npos)) {
    return false;
  }
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return true;
}

void readAnnotationsFile(std::string_view text, const std::string& path, Annotations& out,
                         Problems& problems) {
  auto lines = split(text, '\n');
  // A final newline ends the last line; it does not start an empty one.
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    int lineNo = static_cast<int>(i + 1);
    std::string_view line = lines[i];
    // CRLF line endings (hand-made files): the downward API writes LF only, and Go quoting
    // escapes a CR inside a value, so a raw CR before the LF can only be a line ending.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    if (seen.size() >= kMaxAnnotations) {
      fileProblem(
          problems, path, lineNo,
          "more than " + std::to_string(kMaxAnnotations) + " annotations; the rest is ignored");
      return;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      fileProblem(problems, path, lineNo, "expected key=\"value\", got " + quoteForMessage(line));
      continue;
    }
    std::string_view key = line.substr(0, eq);
    if (!validAnnotationKey(key)) {
      fileProblem(problems, path, lineNo, "malformed annotation key " + quoteForMessage(key));
      continue;
    }
    auto value = unquoteGo(line.substr(eq + 1));
    if (!value) {
      fileProblem(problems, path, lineNo,
                  "annotation " + std::string(key) + ": " + value.error().message());
      continue;
    }
    if (!seen.insert(std::string(key)).second) {
      fileProblem(problems, path, lineNo, "duplicate annotation " + std::string(key));
      continue;
    }
    addAnnotation(out, std::string(key), std::move(value).value(),
                  Source{Source::Kind::kAnnotation, std::string(key), path, lineNo});
  }
}

void readPodManifest(std::string_view text, const std::string& path, Annotations& out,
                     Problems& problems) {
  auto fail = [&](int line, const std::string& msg) {
    problems.add("pod manifest " + fileLocation(path, line) + ": " + msg);
  };
  auto doc = loadYaml(text);
  if (!doc) return fail(0, "not valid JSON or YAML: " + doc.error().message());
  const YAML::Node& root = *doc;
  if (!root.IsMap())
    return fail(yamlLine(root), "expected a Pod object, got " + std::string(yamlKindName(root)));
  if (auto kind = root["kind"]; kind && (!kind.IsScalar() || kind.Scalar() != "Pod")) {
    return fail(yamlLine(kind), "kind is " +
                                    (kind.IsScalar() ? quoteForMessage(kind.Scalar())
                                                     : std::string(yamlKindName(kind))) +
                                    ", expected Pod");
  }
  auto metadata = root["metadata"];
  if (!metadata || metadata.IsNull()) return;
  if (!metadata.IsMap()) return fail(yamlLine(metadata), "metadata is not a mapping");
  auto annotations = metadata["annotations"];
  if (!annotations || annotations.IsNull()) return;
  if (!annotations.IsMap()) {
    return fail(yamlLine(annotations), "metadata.annotations is not a mapping");
  }
  std::set<std::string, std::less<>> seen;
  for (const auto& kv : annotations) {
    int line = yamlLine(kv.first);
    if (!kv.first.IsScalar()) {
      fail(line, "an annotation key is " + std::string(yamlKindName(kv.first)));
      continue;
    }
    const std::string& key = kv.first.Scalar();
    if (!validAnnotationKey(key)) {
      fail(line, "malformed annotation key " + quoteForMessage(key));
      continue;
    }
    if (!kv.second.IsScalar()) {
      fail(line, "annotation " + key + " is " + yamlKindName(kv.second) + ", expected a string");
      continue;
    }
    if (!seen.insert(key).second) {
      fail(line, "duplicate annotation " + key);
      continue;
    }
    if (seen.size() > kMaxAnnotations) {
      fail(line,
           "more than " + std::to_string(kMaxAnnotations) + " annotations; the rest is ignored");
      return;
    }
    addAnnotation(out, key, kv.second.Scalar(), Source{Source::Kind::kAnnotation, key, path, line});
  }
}

void readAnnotationFlag(std::string_view arg, Annotations& out, Problems& problems) {
  auto eq = arg.find('=');
  if (eq == std::string_view::npos) {
    problems.add(Source::flag("--annotation"), quoteForMessage(arg) + " is not key=value");
    return;
  }
  std::string_view key = arg.substr(0, eq);
  if (!validAnnotationKey(key)) {
    problems.add(Source::flag("--annotation"), "malformed annotation key " + quoteForMessage(key));
    return;
  }
  addAnnotation(out, std::string(key), std::string(arg.substr(eq + 1)),
                Source{Source::Kind::kAnnotation, std::string(key), "--annotation", 0});
}

std::vector<Assignment> annotationAssignments(const Annotations& annotations, Problems& problems,
                                              std::vector<std::string>& warnings) {
  std::vector<Assignment> out;
  std::set<std::string, std::less<>> used;

  // Parses an annotation boolean with `grammar`; nullopt (and a problem) when malformed.
  auto boolOf = [&](const Annotation& a, AnnotationBool grammar) -> std::optional<bool> {
    auto r = grammar == AnnotationBool::kEnabled ? parseEnabled(a.value) : parseYesNo(a.value);
    if (!r) {
      problems.add(a.source, r.error().message());
      return std::nullopt;
    }
    return *r;
  };

  // Settings with 1:1 annotations, in table order; a later key of one setting wins.
  for (const auto& s : settings()) {
    for (auto key : s.annotations) {
      auto it = annotations.find(key);
      if (it == annotations.end()) continue;
      used.insert(std::string(key));
      const Annotation& a = it->second;
      if (s.isBool()) {
        if (auto b = boolOf(a, s.annotationBool))
          out.push_back(assign(s.key, *b ? "true" : "false", a.source));
        continue;
      }
      Assignment as;
      as.setting = &s;
      as.source = a.source;
      if (s.kind == ValueKind::kUidExclusions) {
        // Entries are separated by ';' (each one is what one flag would carry).
        for (auto& entry : splitList(a.value, ';'))
          as.values.push_back(RawValue{entry, a.source});
      } else {
        as.values.push_back(RawValue{a.value, a.source});
      }
      out.push_back(std::move(as));
    }
  }

  // kuma.io/gateway: enabled = a gateway, which gets no inbound redirection.
  if (auto it = annotations.find(kGateway); it != annotations.end()) {
    used.insert(std::string(kGateway));
    if (auto b = boolOf(it->second, AnnotationBool::kEnabled); b && *b) {
      out.push_back(assign("redirect.inbound.enabled", "false", it->second.source));
    }
  }
  // Builtin DNS (both spellings; the newer one wins): enabled = capture all DNS.
  for (auto key : kBuiltinDnsKeys) {
    auto it = annotations.find(key);
    if (it == annotations.end()) continue;
    used.insert(std::string(key));
    auto b = boolOf(it->second, AnnotationBool::kEnabled);
    if (!b) continue;
    out.push_back(assign("redirect.dns.enabled", *b ? "true" : "false", it->second.source));
    if (*b) out.push_back(assign("redirect.dns.captureAll", "true", it->second.source));
  }
  // The experimental engine of Kuma <= 2.1 is our native nftables backend.
  if (auto it = annotations.find(kExperimentalEngine); it != annotations.end()) {
    used.insert(std::string(kExperimentalEngine));
    if (auto b = boolOf(it->second, AnnotationBool::kEnabled); b && *b) {
      out.push_back(assign("backend", "nftables", it->second.source));
    }
  }

  for (const auto& [key, a] : annotations) {
    if (used.count(key) || ignoredAnnotations().count(key)) continue;
    if (!startsWith(key, "kuma.io/") && !startsWith(key, "traffic.kuma.io/")) continue;
    auto reason = unsupportedReason(key);
    warnings.push_back(a.source.describe() + ": " +
                       (reason.empty()
                            ? "unknown annotation, ignored" + didYouMean(key, knownKeys())
                            : std::string(reason)));
  }
  return out;
}

}  // namespace kt::config
