// Finding iptables / iptables-save / iptables-restore (and the ip6tables trio) of one mode.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "backend/iptables/mode.h"
#include "base/net.h"
#include "base/result.h"

namespace kt::backend::iptables {

// The three tools of one family in one mode, as absolute paths.
struct Tools {
  Family family = Family::kV4;
  Mode mode = Mode::kNft;
  std::string iptables;  // iptables / ip6tables
  std::string save;      // *-save
  std::string restore;   // *-restore
  // "iptables" / "ip6tables": the family's tool prefix.
  static const char* prefix(Family f) { return f == Family::kV4 ? "iptables" : "ip6tables"; }
};

// Finds the tools of family f in mode m (kLegacy or kNft), searching like Kuma: first the names
// carrying the mode (`iptables-nft`, `iptables-nft-save`, `iptables-nft-restore`) in $PATH and
// /usr/sbin, /sbin, /usr/bin, /bin; then the unsuffixed names. A name with the mode suffix is
// trusted without running it. An unsuffixed tool counts when the file it resolves to names the
// mode (xtables-nft-multi, xtables-legacy-multi), else when its `--version` says so; the three
// must agree. kNotFound when the mode has no complete set; `execs` counts programs run.
Result<Tools> findTools(Family f, Mode m, int* execs = nullptr);

// The mode a `--version` output names: "(nf_tables)" is nft; "(legacy)", no parenthesis, or
// "unrecognized option '--version'" (iptables <= 1.6) is legacy; nullopt when unparsable.
std::optional<Mode> parseVersionMode(std::string_view output);

}  // namespace kt::backend::iptables
