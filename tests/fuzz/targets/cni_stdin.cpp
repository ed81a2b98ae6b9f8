// libFuzzer target: the plugin's stdin (network configuration with prevResult) through every
// parsing stage, and the result conversion to every supported version.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cni/net_conf.h"
#include "cni/result_convert.h"
#include "cni/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = kt::cni::decodeJson(text);
  if (!doc) return 0;
  (void)kt::cni::configVersion(*doc);
  auto conf = kt::cni::parseNetConf(*doc);
  if (!conf || !conf->prevResult) return 0;
  for (const auto& v : kt::cni::supportedVersions()) {
    auto out = kt::cni::convertResult(*conf->prevResult, v);
    if (out) (void)out->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
