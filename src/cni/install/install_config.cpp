#include "cni/install/install_config.h"

#include <algorithm>
#include <charconv>

#include "base/strings.h"
#include "cni/files.h"

namespace kt::cni {

std::string InstallConfig::kubeconfigHostPath() const {
  return joinPath(cniNetDir, kubeconfigName);
}

std::string InstallConfig::kubeconfigMountedPath() const {
  return joinPath(mountedCniNetDir, kubeconfigName);
}

const char* defaultNetworkConfigTemplate() {
  return R"({
  "cniVersion": "0.3.1",
  "name": "kuma-cni",
  "type": "kuma-cni",
  "log_level": "info",
  "kubernetes": {
    "kubeconfig": "__KUBECONFIG_FILEPATH__",
    "cni_bin_dir": "/opt/cni/bin",
    "exclude_namespaces": ["kuma-system"]
  }
})";
}

Result<std::chrono::milliseconds> parseDuration(const std::string& name, const std::string& text,
                                                std::chrono::milliseconds min,
                                                std::chrono::milliseconds max) {
  auto bad = [&] {
    return Error::config(name + ": " + quoteForMessage(text) + " is not a duration between " +
                         std::to_string(min.count()) + "ms and " +
                         std::to_string(max.count() / 1000) +
                         "s (a number with ms, s or m, or a number of seconds)");
  };
  long long n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr == text.data() || n < 0 || n > 86400000) return bad();
  std::string_view unit(ptr, static_cast<size_t>(text.data() + text.size() - ptr));
  std::chrono::milliseconds d;
  if (unit == "ms") {
    d = std::chrono::milliseconds(n);
  } else if (unit == "s" || unit.empty()) {
    d = std::chrono::seconds(n);
  } else if (unit == "m") {
    d = std::chrono::minutes(n);
  } else {
    return bad();
  }
  if (d < min || d > max) return bad();
  return d;
}

Result<InstallConfig> installConfigFromEnv(const EnvLookup& env) {
  InstallConfig c;
  std::vector<std::string> problems;
  auto str = [&](const char* name, std::string& out) {
    if (auto v = env(name); v && !v->empty()) out = *v;
  };
  auto path = [&](const char* name, std::string& out) {
    str(name, out);
    bool printable = std::all_of(out.begin(), out.end(), [](char ch) {
      auto u = static_cast<unsigned char>(ch);
      return u >= 0x20 && u != 0x7f;
    });
    if (out.empty() || out.front() != '/' || !printable || out.size() > 4096) {
      problems.push_back(std::string(name) + ": " + quoteForMessage(out) +
                         " is not an absolute path of printable characters");
    }
  };
  // Go's strconv.ParseBool words, as Kuma reads these.
  auto boolean = [&](const char* name, bool& out) {
    auto v = env(name);
    if (!v || v->empty()) return;
    if (*v == "1" || *v == "t" || *v == "T" || *v == "true" || *v == "TRUE" || *v == "True") {
      out = true;
    } else if (*v == "0" || *v == "f" || *v == "F" || *v == "false" || *v == "FALSE" ||
               *v == "False") {
      out = false;
    } else {
      problems.push_back(std::string(name) + ": " + quoteForMessage(*v) + " is not true or false");
    }
  };
  auto seconds = [&](const char* name, std::chrono::seconds& out, long min) {
    auto v = env(name);
    if (!v || v->empty()) return;
    long n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size() || n < min || n > 86400) {
      problems.push_back(std::string(name) + ": " + quoteForMessage(*v) +
                         " is not a number of seconds between " + std::to_string(min) +
                         " and 86400");
      return;
    }
    out = std::chrono::seconds(n);
  };

  path("CNI_NET_DIR", c.cniNetDir);
  path("MOUNTED_CNI_NET_DIR", c.mountedCniNetDir);
  // A file name in the configuration directory: no '/', not "." or "..", printable.
  auto fileName = [&](const char* name, std::string& out, bool allowEmpty) {
    str(name, out);
    bool printable = std::all_of(out.begin(), out.end(), [](char ch) {
      auto u = static_cast<unsigned char>(ch);
      return u > 0x20 && u != 0x7f;
    });
    if ((out.empty() && !allowEmpty) || out == "." || out == ".." ||
        out.find('/') != std::string::npos || !printable || out.size() > 255) {
      problems.push_back(std::string(name) + ": " + quoteForMessage(out) +
                         " must be a plain file name");
    }
  };
  fileName("CNI_CONF_NAME", c.confName, true);
  str("CNI_NETWORK_CONFIG", c.networkConfigTemplate);
  if (c.networkConfigTemplate.empty()) c.networkConfigTemplate = defaultNetworkConfigTemplate();
  boolean("CHAINED_CNI_PLUGIN", c.chained);
  str("CNI_LOG_LEVEL", c.logLevel);
  fileName("KUBECFG_FILE_NAME", c.kubeconfigName, false);
  str("KUBERNETES_SERVICE_HOST", c.serviceHost);
  if (c.serviceHost.empty()) {
    problems.push_back("KUBERNETES_SERVICE_HOST is not set (Kubernetes sets it in every pod)");
  }
  str("KUBERNETES_SERVICE_PORT", c.servicePort);
  {
    unsigned port = 0;
    auto& p = c.servicePort;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || ptr != p.data() + p.size() || port == 0 || port > 65535) {
      problems.push_back("KUBERNETES_SERVICE_PORT: " + quoteForMessage(p) + " is not a port");
    }
  }
  str("KUBERNETES_SERVICE_PROTOCOL", c.serviceProtocol);
  if (c.serviceProtocol != "https") {
    problems.push_back("KUBERNETES_SERVICE_PROTOCOL: " + quoteForMessage(c.serviceProtocol) +
                       " is not supported; kuma-cni talks to the API server over https only");
  }
  path("KUBE_CA_FILE", c.caFile);
  seconds("CFGCHECK_INTERVAL", c.checkInterval, 1);
  seconds("REFRESH_SA_TOKEN_INTERVAL", c.tokenRefreshInterval, 1);
  boolean("SLEEP", c.sleep);
  path("KUBE_TOKEN_FILE", c.tokenFile);
  path("MOUNTED_CNI_BIN_DIR", c.binDirs[0]);
  path("MOUNTED_CNI_SECONDARY_BIN_DIR", c.binDirs[1]);
  path("CNI_PLUGIN_SOURCE", c.pluginSource);
  path("READY_FILE", c.readyFile);
  seconds("CNI_CONF_WAIT_TIMEOUT", c.confWaitTimeout, 0);
  boolean("REPAIR_ENABLED", c.repairEnabled);
  if (auto v = env("REPAIR_INTERVAL"); v && !v->empty()) {
    auto d = parseDuration("REPAIR_INTERVAL", *v, std::chrono::milliseconds(100),
                           std::chrono::hours(24));
    if (d) {
      c.repairInterval = *d;
    } else {
      problems.push_back(d.error().message());
    }
  }
  if (auto v = env("REPAIR_MAX_PER_INTERVAL"); v && !v->empty()) {
    unsigned n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size() || n == 0 || n > 10000) {
      problems.push_back("REPAIR_MAX_PER_INTERVAL: " + quoteForMessage(*v) +
                         " is not a number between 1 and 10000");
    } else {
      c.repairMaxPerPass = n;
    }
  }
  str("NODE_NAME", c.nodeName);
  if (!c.nodeName.empty() && !isValidObjectName(c.nodeName)) {
    problems.push_back("NODE_NAME: " + quoteForMessage(c.nodeName) + " is not a node name");
  }
  if (auto v = env("METRICS_ADDR"); v) c.metricsAddr = *v;  // set and empty: no endpoint
  if (!problems.empty()) return Error::config(join(problems, "; "));
  return c;
}

}  // namespace kt::cni
