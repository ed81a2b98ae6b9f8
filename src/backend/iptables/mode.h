// The two flavours of the iptables tools: legacy (x_tables through setsockopt, one xtables lock)
// and nf_tables (iptables-nft, rules kept in nf_tables tables named like the xtables tables).
#pragma once

namespace kt::backend::iptables {

enum class Mode { kAuto, kLegacy, kNft };

// "auto", "legacy", "nft"; the suffix of the tool names (iptables-legacy, iptables-nft).
inline const char* modeName(Mode m) {
  switch (m) {
    case Mode::kLegacy:
      return "legacy";
    case Mode::kNft:
      return "nft";
    default:
      return "auto";
  }
}

}  // namespace kt::backend::iptables
