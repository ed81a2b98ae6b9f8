// libFuzzer target: the API server's answers the plugin and the installer parse (a Pod for ADD
// and CHECK, the node's PodList for race repair). Invariants: a list is accepted only when every
// item is, and each accepted item parses the same alone; pod addresses are what the API wrote.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cni/pod.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)kt::cni::Pod::fromJson(text);
  auto list = kt::cni::Pod::listFromJson(text);
  if (!list) return 0;
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) std::abort();
  auto items = doc.find("items");
  size_t expected = (items == doc.end() || items->is_null()) ? 0 : items->size();
  if (list->size() != expected) std::abort();
  for (size_t i = 0; i < expected; ++i) {
    auto alone = kt::cni::Pod::fromJson((*items)[i].dump());
    // A lone item with a "kind" other than Pod is refused by fromJson, but lists do not
    // carry kinds per item in practice; compare only what both accepted.
    if (!alone) continue;
    const auto& p = (*list)[i];
    if (alone->ns != p.ns || alone->name != p.name || alone->ips != p.ips ||
        alone->nodeName != p.nodeName || alone->hostNetwork != p.hostNetwork) {
      std::abort();
    }
  }
  return 0;
}
