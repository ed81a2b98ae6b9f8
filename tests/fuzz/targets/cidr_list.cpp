// Address / CIDR lists ("10.0.0.0/8, fe80::1"): the value grammar, normalization and canonical
// text, and the same text through config::load as a flag and as an annotation.
#include "config/values.h"
#include "fuzz_support.h"

namespace {

using kt::Cidr;

bool covers(const Cidr& outer, const Cidr& inner) {
  return outer.family() == inner.family() && outer.prefix <= inner.prefix &&
         outer.addr.bytes <= inner.addr.bytes && inner.last().bytes <= outer.last().bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  std::string text(fuzz::asText(data, size));

  auto cidrs = config::parseCidrList(text);
  if (!cidrs) {
    fuzz::checkConfigError(cidrs.error());
  } else {
    for (const auto& c : *cidrs) {
      // Host bits are cleared, and the text form parses back to the same prefix.
      auto back = Cidr::parse(c.str());
      if (!back || *back != c) fuzz::fail("Cidr::str round trip", c.str());
      if (c.prefix > c.addr.size() * 8) fuzz::fail("prefix longer than the address", c.str());
    }
    auto norm = normalizeCidrs(*cidrs);
    for (const auto& c : *cidrs) {
      bool ok = false;
      for (const auto& n : norm)
        ok = ok || covers(n, c);
      if (!ok) fuzz::fail("normalization lost a prefix", c.str());
    }
    for (size_t i = 0; i < norm.size(); ++i)
      for (size_t j = 0; j < norm.size(); ++j)
        if (i != j && covers(norm[i], norm[j]))
          fuzz::fail("normalized list keeps a covered prefix");
    if (normalizeCidrs(norm) != norm) fuzz::fail("normalization is not idempotent");
    // The consumers' check agrees with normalizing: true exactly when nothing would change.
    if (!isNormalized(norm)) fuzz::fail("isNormalized refuses a normalized list");
    if (isNormalized(*cidrs) != (norm == *cidrs)) fuzz::fail("isNormalized disagrees");
    auto again = config::parseCidrList(config::formatCidrs(norm));
    if (!again || *again != norm) fuzz::fail("canonical text does not round-trip");
  }

  if (text.size() <= 2 * config::kMaxValueBytes) {
    config::LoadRequest req;
    req.flags = {{"--exclude-outbound-ips", text}};
    req.annotations = {"traffic.kuma.io/exclude-inbound-ips=" + text};
    fuzz::checkLoad(config::load(req));
  }
  return 0;
}
