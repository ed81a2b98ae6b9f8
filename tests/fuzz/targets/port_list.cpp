// Port lists and ranges ("80, 443,8000-9000"): the value grammar, its normalization and
// canonical text, and the same text through config::load as a flag and as an annotation.
#include "config/values.h"
#include "fuzz_support.h"

namespace {

using kt::PortRange;

bool covered(const std::vector<PortRange>& norm, const PortRange& r) {
  for (const auto& n : norm)
    if (n.first <= r.first && r.last <= n.last) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  std::string text(fuzz::asText(data, size));

  auto ports = config::parsePortList(text);
  if (!ports) {
    fuzz::checkConfigError(ports.error());
  } else {
    auto norm = normalizePorts(*ports);
    for (size_t i = 0; i < norm.size(); ++i) {
      if (norm[i].first == 0 || norm[i].first > norm[i].last) fuzz::fail("bad normalized range");
      // Sorted, and neither overlapping nor adjacent (adjacent ranges are merged).
      if (i > 0 && static_cast<uint32_t>(norm[i - 1].last) + 1 >= norm[i].first) {
        fuzz::fail("normalized ranges overlap or touch", config::formatPorts(norm));
      }
    }
    for (const auto& r : *ports)
      if (!covered(norm, r)) fuzz::fail("normalization lost a port", r.str());
    if (normalizePorts(norm) != norm) fuzz::fail("normalization is not idempotent");
    // The consumers' check agrees with normalizing: true exactly when nothing would change.
    if (!isNormalized(norm)) fuzz::fail("isNormalized refuses a normalized list");
    if (isNormalized(*ports) != (norm == *ports)) fuzz::fail("isNormalized disagrees");
    auto again = config::parsePortList(config::formatPorts(norm));
    if (!again || *again != norm) fuzz::fail("canonical text does not round-trip");
  }

  // The base parser of one item (used by other grammars).
  if (auto one = PortRange::parse(text)) {
    if (PortRange::parse(one->str()).value() != *one) fuzz::fail("PortRange::str round trip");
  }

  if (text.size() <= 2 * config::kMaxValueBytes) {
    config::LoadRequest req;
    req.flags = {{"--exclude-outbound-ports", text}};
    req.annotations = {"traffic.kuma.io/exclude-inbound-ports=" + text};
    fuzz::checkLoad(config::load(req));
  }
  return 0;
}
