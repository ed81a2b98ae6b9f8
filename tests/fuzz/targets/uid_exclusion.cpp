// The `[proto:][ports:]uids` grammar of --exclude-outbound-ports-for-uids: Kuma's parser
// semantics, the canonical text, and the text through config::load as a flag and as the
// `;`-separated annotation (where the loader normalizes the ports: checkLoad).
#include "config/values.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  std::string text(fuzz::asText(data, size));

  auto e = config::parseUidExclusion(text);
  if (!e) {
    fuzz::checkConfigError(e.error());
  } else {
    if (e->protocols.empty() || e->protocols.size() > 2) fuzz::fail("bad protocol set");
    if (e->uids.first > e->uids.last) fuzz::fail("uid range reversed");
    auto again = config::parseUidExclusion(config::formatUidExclusion(*e));
    if (!again || !(*again == *e)) {
      fuzz::fail("canonical text does not round-trip", config::formatUidExclusion(*e));
    }
  }

  if (text.size() <= 2 * config::kMaxValueBytes) {
    config::LoadRequest req;
    req.flags = {{"--exclude-outbound-ports-for-uids", text}};
    req.annotations = {"traffic.kuma.io/exclude-outbound-ports-for-uids=" + text};
    fuzz::checkLoad(config::load(req));
  }
  return 0;
}
