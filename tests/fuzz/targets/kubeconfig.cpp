// libFuzzer target: kubeconfig parsing (YAML or JSON). Relative file references resolve under a
// directory that does not exist, so no file is read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cni/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)kt::cni::parseKubeConfig(text, "/nonexistent-kt-fuzz");
  return 0;
}
