// libFuzzer target: CNI_ARGS and the other CNI_* variables. The input is split on NUL bytes into
// CNI_ARGS, CNI_CONTAINERID, CNI_IFNAME, CNI_NETNS.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "cni/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::string parts[4];
  size_t i = 0;
  for (char c : input) {
    if (c == '\0' && i < 3) {
      ++i;
      continue;
    }
    parts[i] += c;
  }
  (void)kt::cni::CniArgs::parse(parts[0]);
  std::map<std::string, std::string> env = {
      {"CNI_COMMAND", "ADD"},   {"CNI_ARGS", parts[0]},  {"CNI_CONTAINERID", parts[1]},
      {"CNI_IFNAME", parts[2]}, {"CNI_NETNS", parts[3]}, {"CNI_PATH", "/opt/cni/bin"}};
  auto r = kt::cni::requestFromEnv([&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  if (r) {
    // Accepted pod names are safe in a URL path.
    for (const auto& n : {r->podName(), r->podNamespace()}) {
      if (n.find('/') != std::string::npos || n.find("..") == 0) __builtin_trap();
    }
  }
  return 0;
}
