// libFuzzer target: conflist classification and editing. Property: for any conflist without a
// kuma-cni entry, removing the entry we added gives back the input byte for byte.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cni/install/conflist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  static const nlohmann::ordered_json ours =
      nlohmann::ordered_json::parse(R"({"name":"kuma-cni","type":"kuma-cni","log_level":"info"})");
  auto kind = kt::cni::classifyConf(text);
  if (!kind) return 0;
  if (*kind == kt::cni::ConfKind::kSingle) {
    (void)kt::cni::wrapConf(text, ours);
    return 0;
  }
  auto state = kt::cni::chainState(text, ours);
  auto chained = kt::cni::chainIntoConflist(text, ours);
  if (!state || !chained) return 0;
  auto after = kt::cni::chainState(*chained, ours);
  if (!after || *after != kt::cni::ChainState::kCurrent) __builtin_trap();
  if (*state == kt::cni::ChainState::kAbsent) {
    auto restored = kt::cni::unchainFromConflist(*chained);
    if (!restored || *restored != text) __builtin_trap();
  }
  return 0;
}
