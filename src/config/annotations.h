// Kubernetes annotations as a configuration source: reading them from the downward-API file,
// a Pod manifest and --annotation flags, and mapping them to settings (kuma.md 1.1, 1.2).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/assignment.h"
#include "config/source.h"

namespace kt::config {

struct Annotation {
  std::string value;
  Source source;  // kind kAnnotation, name = key, file/line where it was read
};
// Keyed by annotation key. Inputs are merged in the order they are read; a later input replaces
// a key of an earlier one.
using Annotations = std::map<std::string, Annotation, std::less<>>;

// Kuma's annotation that carries a whole configuration in the config-file schema (its ConfigMap
// mode). The CNI plugin reads it as a config-file layer (loader.h fromPodAnnotations); as an
// annotation setting it is unsupported.
inline constexpr const char* kConfigAnnotation = "traffic.kuma.io/transparent-proxy-config";

// Most annotations accepted from one input.
inline constexpr size_t kMaxAnnotations = 4096;

// The downward-API `annotations` file: one `key="value"` per line, the value Go-quoted; blank
// lines are ignored. Every malformed line, bad key or duplicate key is a problem naming
// path:line. Good lines are added to `out` even when others are bad.
void readAnnotationsFile(std::string_view text, const std::string& path, Annotations& out,
                         Problems& problems);

// A Pod object as JSON or YAML (e.g. `kubectl get pod -o json`): its metadata.annotations.
void readPodManifest(std::string_view text, const std::string& path, Annotations& out,
                     Problems& problems);

// One `--annotation key=value` argument.
void readAnnotationFlag(std::string_view arg, Annotations& out, Problems& problems);

// Maps annotations to assignments (the annotation layer of the precedence). Booleans are checked
// with the annotation grammars and passed on as "true"/"false"; special annotations (gateway,
// builtin DNS, experimental engine) become assignments to the settings they imply. Unknown
// kuma.io/* and traffic.kuma.io/* keys add one warning each; keys known not to affect traffic
// interception are skipped silently.
std::vector<Assignment> annotationAssignments(const Annotations& annotations, Problems& problems,
                                              std::vector<std::string>& warnings);

// Checks a Kubernetes annotation key ([prefix/]name, [A-Za-z0-9._-], at most 317 bytes).
bool validAnnotationKey(std::string_view key);

}  // namespace kt::config
