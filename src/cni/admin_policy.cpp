#include "cni/admin_policy.h"

#include "base/strings.h"
#include "config/settings.h"
#include "config/values.h"

namespace kt::cni {

using nlohmann::json;

namespace {

// An optional array of strings; a problem when present with another shape.
std::vector<std::string> stringList(const json& doc, const char* key,
                                    std::vector<std::string>& problems) {
  std::vector<std::string> out;
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return out;
  if (!it->is_array()) {
    problems.push_back(std::string(key) + ": must be a list of strings");
    return out;
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      problems.push_back(std::string(key) + ": must be a list of strings");
      return {};
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

AdminPolicy parseAdminPolicy(const json& doc, std::vector<std::string>& problems) {
  AdminPolicy a;
  if (auto it = doc.find("tproxy_config"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) {
      problems.push_back("tproxy_config: must be an object (the --config-file schema)");
    } else if (!it->empty()) {
      // Indented, so each key has its own line in messages ("tproxy_config:3").
      a.pod.adminConfig = it->dump(2, ' ', true);
      a.pod.adminConfigName = "tproxy_config";
      if (auto loaded = config::fromAdminConfig(a.pod); !loaded) {
        problems.push_back(loaded.error().message());
      }
    }
  }
  for (const auto& key : stringList(doc, "allow_pod_settings", problems)) {
    const config::Setting* s = config::findSetting(key);
    if (s == nullptr) {
      std::vector<std::string> node;
      for (auto k : config::nodeSettingKeys())
        node.emplace_back(k);
      problems.push_back("allow_pod_settings: " + quoteForMessage(key) +
                         " is not a setting key; node-level settings are " + join(node, ", "));
      continue;
    }
    a.pod.allowPodSettings.insert(std::string(s->key));
  }
  for (const auto& name : stringList(doc, "allowed_backends", problems)) {
    auto b = config::parseBackend(name);
    if (!b) {
      problems.push_back("allowed_backends: " + b.error().message());
      continue;
    }
    a.pod.allowedBackends.push_back(*b);
  }
  if (auto it = doc.find("ebpf_programs_sha256"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) {
      problems.push_back("ebpf_programs_sha256: must be an object (object file name -> sha256)");
    } else {
      for (const auto& [file, hex] : it->items()) {
        if (!hex.is_string()) {
          problems.push_back("ebpf_programs_sha256." + file + ": must be a string");
          continue;
        }
        auto d = config::checkObjectDigest(file, hex.get<std::string>());
        if (!d) {
          problems.push_back("ebpf_programs_sha256: " + d.error().message());
          continue;
        }
        a.ebpfProgramsSha256[file] = *d;
      }
    }
  }
  if (auto it = doc.find("state_dir"); it != doc.end() && !it->is_null()) {
    auto dir = it->is_string() ? it->get<std::string>() : std::string();
    if (dir.empty() || dir.front() != '/' || dir.size() > 4096 ||
        dir.find('\0') != std::string::npos) {
      problems.push_back("state_dir: must be an absolute path");
    } else {
      a.stateDir = dir;
    }
  }
  return a;
}

}  // namespace kt::cni
