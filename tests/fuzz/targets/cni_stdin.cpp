// libFuzzer target: the plugin's stdin (network configuration with prevResult) through every
// parsing stage, the result conversion to every supported version, and the administrator's
// policy (tproxy_config, allow_pod_settings, allowed_backends, ebpf_programs_sha256) applied to
// hostile pods: whatever the policy, a pod that loads never changes a node-level setting the
// policy does not allow.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "cni/net_conf.h"
#include "cni/result_convert.h"
#include "cni/spec.h"
#include "config/loader.h"
#include "config/settings.h"
#include "fuzz_support.h"

namespace {

void checkPolicy(const kt::cni::AdminPolicy& admin) {
  using namespace kt;
  auto base = config::fromAdminConfig(admin.pod);
  if (!base) return;  // parseNetConf accepted it, so this cannot happen; nothing to compare
  const std::map<std::string, std::string> pods[] = {
      {{"kuma.io/transparent-proxying-ebpf", "enabled"},
       {"kuma.io/transparent-proxying-ebpf-programs-source-path", "/var/lib/kubelet/pods/x"},
       {"kuma.io/transparent-proxying-ebpf-bpf-fs-path", "/tmp/evil"},
       {"kuma.io/transparent-proxying-ebpf-cgroup-path", "/sys/fs/cgroup/x"}},
      {{"traffic.kuma.io/transparent-proxy-config",
        "redirect:\n  dns:\n    enabled: true\n    resolvConfigPath: /dev/kmsg\n"
        "wait: 600\nretry:\n  maxRetries: 100\n  sleepBetweenRetries: 1h\ncniMode: false\n"
        "backend: nftables\n"}},
  };
  for (const auto& annotations : pods) {
    auto loaded = config::fromPodAnnotations(annotations, "pod fuzz/p", admin.pod);
    if (!loaded || loaded->disabled) continue;
    for (const auto& s : config::settings()) {
      if (s.scope != config::Scope::kNode || admin.pod.allowPodSettings.count(s.key)) continue;
      if (s.show({loaded->config, loaded->run}) != s.show({base->config, base->run})) {
        fuzz::fail("a pod changed a node-level setting the policy does not allow", s.key);
      }
    }
    if (!loaded->run.cniMode) fuzz::fail("CNI mode lost");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kt::fuzz::quietLogging();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = kt::cni::decodeJson(text);
  if (!doc) return 0;
  (void)kt::cni::configVersion(*doc);
  auto conf = kt::cni::parseNetConf(*doc);
  if (!conf) return 0;
  checkPolicy(conf->admin);
  if (!conf->prevResult) return 0;
  for (const auto& v : kt::cni::supportedVersions()) {
    auto out = kt::cni::convertResult(*conf->prevResult, v);
    if (out) (void)out->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
