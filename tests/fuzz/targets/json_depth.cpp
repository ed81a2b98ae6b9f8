// libFuzzer target: the one JSON entry point (cni/json_parse.h) with its nesting limit. Whatever
// it accepts is at most kMaxJsonDepth deep and survives a dump/parse round trip; whatever nests
// deeper is refused with the depth message, without recursion on the way.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cni/json_parse.h"
#include "fuzz_support.h"

namespace {

// Nesting depth without recursion (the point of the limit is that nothing recurses deeply).
size_t depthOf(const nlohmann::json& root) {
  size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, size_t>> todo{{&root, 1}};
  while (!todo.empty()) {
    auto [j, d] = todo.back();
    todo.pop_back();
    if (!j->is_structured()) continue;
    deepest = std::max(deepest, d);
    for (const auto& child : *j)
      todo.emplace_back(&child, d + 1);
  }
  return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kt::fuzz::quietLogging();
  std::string_view text = kt::fuzz::asText(data, size);
  auto doc = kt::cni::parseJson(text, "input");
  if (!doc) {
    if (doc.error().kind() != kt::ErrorKind::kConfig) kt::fuzz::fail("refusal is not kConfig");
    return 0;
  }
  if (depthOf(*doc) > kt::cni::kMaxJsonDepth) kt::fuzz::fail("accepted a document too deep");
  auto again = kt::cni::parseJson(doc->dump(), "dump");
  if (!again || *again != *doc) kt::fuzz::fail("dump/parse round trip");
  // Ordered parsing accepts exactly the same documents.
  if (!kt::cni::parseOrderedJson(text, "input")) kt::fuzz::fail("ordered parse disagrees");
  return 0;
}
