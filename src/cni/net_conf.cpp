#include "cni/net_conf.h"

#include <algorithm>

#include "base/strings.h"
#include "cni/json_parse.h"
#include "cni/spec.h"

namespace kt::cni {

using nlohmann::json;

namespace {

// Collects every problem of one configuration so the operator sees them all at once.
class Problems {
 public:
  void add(std::string p) { list_.push_back(std::move(p)); }
  bool empty() const { return list_.empty(); }
  Error error() const { return Error::config(join(list_, "; ")); }

  // Reads an optional string member; records a problem if present with another type.
  std::optional<std::string> string(const json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) {
      add(where + key + ": must be a string");
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  std::optional<uint64_t> number(const json& obj, const char* key, const std::string& where,
                                 uint64_t min, uint64_t max) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_unsigned()) {
      add(where + key + ": must be a whole number between " + std::to_string(min) + " and " +
          std::to_string(max));
      return std::nullopt;
    }
    auto v = it->get<uint64_t>();
    if (v < min || v > max) {
      add(where + key + ": " + std::to_string(v) + " is not between " + std::to_string(min) +
          " and " + std::to_string(max));
      return std::nullopt;
    }
    return v;
  }

 private:
  std::vector<std::string> list_;
};

// File paths from the configuration end up in messages and system calls: absolute, printable,
// bounded.
bool validPath(std::string_view p) {
  if (p.empty() || p.front() != '/' || p.size() > 4096) return false;
  for (char c : p) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool NetConf::namespaceExcluded(std::string_view ns) const {
  const auto& list = kubernetes.excludeNamespaces;
  return std::find(list.begin(), list.end(), ns) != list.end();
}

Result<json> decodeJson(std::string_view text) {
  if (text.size() > kMaxStdinBytes) {
    return Error::config("network configuration is larger than " + std::to_string(kMaxStdinBytes) +
                         " bytes");
  }
  KT_ASSIGN_OR_RETURN(json doc, parseJson(text, "network configuration"));
  if (!doc.is_object()) return Error::config("network configuration is not a JSON object");
  return doc;
}

Result<std::string> configVersion(const json& doc) {
  std::string supported = join(supportedVersions(), ", ");
  auto it = doc.find("cniVersion");
  if (it == doc.end() || it->is_null()) {
    return Error::config(
        "the network configuration has no cniVersion (that means 0.1.0); "
        "supported versions: " +
        supported);
  }
  if (!it->is_string()) return Error::config("cniVersion must be a string");
  auto v = it->get<std::string>();
  if (!isSupportedVersion(v)) {
    return Error::config("cniVersion " + quoteForMessage(v) +
                         " is not supported; supported versions: " + supported);
  }
  return v;
}

Result<NetConf> parseNetConf(const json& doc) {
  Problems p;
  NetConf c;
  c.cniVersion = p.string(doc, "cniVersion", "").value_or("");
  auto name = p.string(doc, "name", "");
  auto type = p.string(doc, "type", "");
  if (!name || name->empty()) p.add("name: required");
  if (!type || type->empty()) p.add("type: required");
  c.name = name.value_or("");
  c.type = type.value_or("");
  if (auto it = doc.find("prevResult"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) {
      p.add("prevResult: must be an object");
    } else {
      c.prevResult = *it;
    }
  }
  if (auto level = p.string(doc, "log_level", "")) {
    auto lower = toLower(*level);
    static const char* kLevels[] = {"off", "error", "warn", "info", "debug", "trace"};
    if (std::find(std::begin(kLevels), std::end(kLevels), lower) == std::end(kLevels)) {
      p.add("log_level: " + quoteForMessage(*level) +
            " is not one of off, error, warn, info, debug, trace");
    } else {
      c.logLevel = lower;
    }
  }
  auto path = [&](const json& obj, const char* key, const std::string& where, std::string& out) {
    auto v = p.string(obj, key, where);
    if (!v) return;
    if (!validPath(*v)) {
      p.add(where + key + ": " + quoteForMessage(*v) +
            " is not an absolute path of printable characters");
    } else {
      out = *v;
    }
  };
  path(doc, "log_file", "", c.logFile);
  path(doc, "lock_dir", "", c.lockDir);
  if (auto it = doc.find("kubernetes"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) {
      p.add("kubernetes: must be an object");
    } else {
      const json& k = *it;
      const std::string w = "kubernetes.";
      path(k, "kubeconfig", w, c.kubernetes.kubeconfig);
      (void)p.string(k, "cni_bin_dir", w);
      if (auto ex = k.find("exclude_namespaces"); ex != k.end() && !ex->is_null()) {
        if (!ex->is_array()) {
          p.add("kubernetes.exclude_namespaces: must be a list of strings");
        } else {
          for (const auto& ns : *ex) {
            if (!ns.is_string()) {
              p.add("kubernetes.exclude_namespaces: must be a list of strings");
              break;
            }
            c.kubernetes.excludeNamespaces.push_back(ns.get<std::string>());
          }
        }
      }
      if (auto n = p.number(k, "api_retries", w, 1, 1000)) {
        c.kubernetes.apiRetries = static_cast<uint32_t>(*n);
      }
      if (auto n = p.number(k, "api_retry_interval_ms", w, 0, 600000)) {
        c.kubernetes.apiRetryInterval = std::chrono::milliseconds(*n);
      }
      if (auto n = p.number(k, "api_timeout_ms", w, 100, 600000)) {
        c.kubernetes.apiTimeout = std::chrono::milliseconds(*n);
      }
      if (auto n = p.number(k, "total_timeout_ms", w, 100, 600000)) {
        c.kubernetes.totalTimeout = std::chrono::milliseconds(*n);
      }
    }
  }
  std::vector<std::string> adminProblems;
  c.admin = parseAdminPolicy(doc, adminProblems);
  for (auto& problem : adminProblems)
    p.add(std::move(problem));
  if (!p.empty()) return p.error();
  return c;
}

}  // namespace kt::cni
