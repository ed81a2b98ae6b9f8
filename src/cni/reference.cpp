#include "cni/reference.h"

#include <algorithm>
#include <cstring>

namespace kt::cni {

namespace {

constexpr SettingRow kPluginEnv[] = {
    {"CNI_COMMAND", "(required)", "ADD, DEL, CHECK, VERSION, STATUS or GC"},
    {"CNI_CONTAINERID", "(required for ADD, DEL, CHECK)",
     "the container id: letters, digits, underscore, dot and hyphen"},
    {"CNI_NETNS", "(required for ADD, CHECK)", "absolute path of the pod's network namespace"},
    {"CNI_IFNAME", "(required for ADD, DEL, CHECK)",
     "the pod's interface name (checked, otherwise unused)"},
    {"CNI_PATH", "(required for ADD, DEL, CHECK)", "plugin search path (checked, unused)"},
    {"CNI_ARGS", "(none)",
     "KEY=VALUE pairs separated by ';'; K8S_POD_NAMESPACE and K8S_POD_NAME name the pod"},
};

constexpr SettingRow kNetConf[] = {
    {"cniVersion", "(required)", "0.3.0, 0.3.1, 0.4.0, 1.0.0 or 1.1.0"},
    {"name", "(required)", "the network's name"},
    {"type", "(required)", "kuma-cni"},
    {"prevResult", "(none)", "the previous plugin's result (chained), at most 64 levels deep"},
    {"log_level", "info", "off, error, warn, info, debug or trace"},
    {"log_file", "(none)",
     "ours: also append log lines to this regular file (never through a symbolic link; created "
     "0600)"},
    {"lock_dir", "/run/kuma-tproxy",
     "ours: private directory (0700, ours) of the per-namespace lock files, shared with "
     "kuma-tproxy install"},
    {"kubernetes.kubeconfig", "(required for ADD, CHECK)",
     "the plugin's kubeconfig (the installer writes it)"},
    {"kubernetes.exclude_namespaces", "[]", "pods in these namespaces are passed through"},
    {"kubernetes.cni_bin_dir", "(none)", "accepted for compatibility, unused"},
    {"kubernetes.api_retries", "30", "ours: attempts per API request (1-1000)"},
    {"kubernetes.api_retry_interval_ms", "1000", "ours: pause between attempts (0-600000)"},
    {"kubernetes.api_timeout_ms", "10000",
     "ours: deadline of one attempt: connect, TLS, request and the whole answer (100-600000)"},
    {"kubernetes.total_timeout_ms", "60000",
     "ours: deadline of one ADD or CHECK: every API attempt and the lock wait (100-600000)"},
    {"tproxy_config", "(none)",
     "ours: the administrator's transparent-proxy configuration, an object in the --config-file "
     "schema; below the pod's annotations; every key allowed"},
    {"allow_pod_settings", "[]",
     "ours: canonical keys of node-level settings pods may set by annotation "
     "(docs/security.md); unknown keys are an error"},
    {"allowed_backends", "(any)", "ours: backends pods may choose; another one fails ADD"},
    {"ebpf_programs_sha256", "{}",
     "ours: object file name -> SHA-256 of an eBPF object accepted from a programs source path "
     "besides the built-in one"},
    {"state_dir", "/run/kuma-tproxy/cni",
     "ours: root-only directory where ADD records what it used for each container, for DEL"},
};

constexpr SettingRow kInstallerEnv[] = {
    {"CNI_NET_DIR", "/etc/cni/net.d",
     "the host's CNI configuration directory (host path, used in the kubeconfig path given to "
     "the plugin)"},
    {"MOUNTED_CNI_NET_DIR", "/host/etc/cni/net.d",
     "the same directory as mounted into the installer"},
    {"CNI_CONF_NAME", "(detect)",
     "the configuration file to chain into (or to write in standalone mode)"},
    {"CNI_NETWORK_CONFIG", "(Kuma's template)",
     "our plugin's configuration; __KUBECONFIG_FILEPATH__ is replaced by "
     "$CNI_NET_DIR/$KUBECFG_FILE_NAME; type must be kuma-cni; a __SERVICEACCOUNT_TOKEN__ "
     "placeholder is refused"},
    {"CHAINED_CNI_PLUGIN", "true",
     "chain into the primary configuration, or write a standalone one"},
    {"CNI_LOG_LEVEL", "info", "the installer's log level"},
    {"KUBECFG_FILE_NAME", "ZZZ-kuma-cni-kubeconfig",
     "the kubeconfig's file name in the configuration directory"},
    {"KUBERNETES_SERVICE_HOST", "(required)", "the API server address written into the kubeconfig"},
    {"KUBERNETES_SERVICE_PORT", "443", "the API server port written into the kubeconfig"},
    {"KUBERNETES_SERVICE_PROTOCOL", "https", "only https is accepted"},
    {"KUBE_CA_FILE", "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", "the API server CA"},
    {"CFGCHECK_INTERVAL", "1", "seconds between chain checks"},
    {"REFRESH_SA_TOKEN_INTERVAL", "60", "seconds between kubeconfig refreshes"},
    {"SLEEP", "true",
     "false: install, touch the readiness file and exit 0 without watching or removing"},
    {"KUBE_TOKEN_FILE", "/var/run/secrets/kubernetes.io/serviceaccount/token",
     "ours: the service account token"},
    {"MOUNTED_CNI_BIN_DIR", "/host/opt/cni/bin",
     "ours (Kuma hard-codes it): where the plugin binary goes"},
    {"MOUNTED_CNI_SECONDARY_BIN_DIR", "/host/secondary-bin-dir",
     "ours (Kuma hard-codes it): a second bin directory, used when it exists"},
    {"CNI_PLUGIN_SOURCE", "/proc/self/exe", "ours: the binary to copy"},
    {"READY_FILE", "/tmp/ready", "ours (Kuma hard-codes it): the readiness probe file"},
    {"CNI_CONF_WAIT_TIMEOUT", "300",
     "ours: seconds to wait for the primary configuration in chained mode"},
};

bool isProse(std::string_view v) {
  return !v.empty() && v.front() == '(';
}

// Markdown would read "__NAME__" as bold and "a_b_c" as emphasis: words holding names, paths
// or variables ('_', '$', a leading '/') become code spans, their punctuation left outside.
std::string markdownText(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(pos, end - pos);
    size_t b = 0, e = word.size();
    while (b < e && word[b] == '(')
      ++b;
    while (e > b && std::string_view(",;:.)").find(word[e - 1]) != std::string_view::npos)
      --e;
    std::string_view core = word.substr(b, e - b);
    bool code = core.find_first_of("_$") != std::string_view::npos ||
                (!core.empty() && core.front() == '/');
    out += word.substr(0, b);
    out += code ? "`" + std::string(core) + "`" : std::string(core);
    out += word.substr(e);
    if (end < text.size()) out += ' ';
    pos = end + 1;
  }
  return out;
}

}  // namespace

const SettingTable& pluginEnvironment() {
  static const SettingTable t{"plugin-environment", "CNI environment (set by the runtime)",
                              kPluginEnv};
  return t;
}

const SettingTable& networkConfigKeys() {
  static const SettingTable t{"network-configuration",
                              "Network configuration keys (JSON on stdin; unknown keys ignored)",
                              kNetConf};
  return t;
}

const SettingTable& installerEnvironment() {
  static const SettingTable t{"installer-environment", "Installer environment variables",
                              kInstallerEnv};
  return t;
}

std::string renderHelp(const SettingTable& table) {
  size_t width = 0;
  for (const auto& r : table.rows)
    width = std::max(width, std::string_view(r.name).size());
  std::string out = std::string(table.title) + ":\n";
  for (const auto& r : table.rows) {
    std::string name = r.name;
    name.resize(width, ' ');
    std::string def = r.defaultValue;
    out += "  " + name + "  default " + def + "\n";
    out += "  " + std::string(width, ' ') + "  " + r.meaning + "\n";
  }
  return out;
}

std::string renderMarkdown(const SettingTable& table) {
  std::string out = "| Name | Default | Meaning |\n|---|---|---|\n";
  for (const auto& r : table.rows) {
    std::string def = isProse(r.defaultValue)
                          ? std::string(r.defaultValue + 1, std::strlen(r.defaultValue) - 2)
                          : "`" + std::string(r.defaultValue) + "`";
    out += "| `" + std::string(r.name) + "` | " + markdownText(def) + " | " +
           markdownText(r.meaning) + " |\n";
  }
  return out;
}

}  // namespace kt::cni
