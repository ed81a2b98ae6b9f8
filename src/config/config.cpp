#include "config/config.h"

namespace kt::config {

const char* backendName(Backend b) {
  switch (b) {
    case Backend::kAuto:
      return "auto";
    case Backend::kIptables:
      return "iptables";
    case Backend::kIptablesLegacy:
      return "iptables-legacy";
    case Backend::kIptablesNft:
      return "iptables-nft";
    case Backend::kNftables:
      return "nftables";
    case Backend::kEbpf:
      return "ebpf";
  }
  return "?";
}

const char* ipFamilyModeName(IpFamilyMode m) {
  return m == IpFamilyMode::kDualStack ? "dualstack" : "ipv4";
}

Backend Config::effectiveBackend() const {
  if (backend != Backend::kAuto) return backend;
  if (ebpf.enabled) return Backend::kEbpf;
  return Backend::kIptables;
}

}  // namespace kt::config
