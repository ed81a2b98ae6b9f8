// Renders the model as one `table inet kuma_mesh` nft script, loadable with `nft -f`.
//
// The text is a printout of lowerToNft(model) (nft_plan.h), the same plan the native backend
// sends over netlink, laid out the way `nft list table` prints it. Deterministic.
#pragma once

#include <string>

#include "model.h"
#include "nft_plan.h"

namespace kt::rules {

struct NftOptions {
  bool comments = true;
  // Prepend "table inet kuma_mesh" + "delete table inet kuma_mesh" so that `nft -f` replaces
  // an existing table atomically (the dry-run output sets this).
  bool replaceExisting = true;
};

std::string renderNft(const Model& m, const NftOptions& opt);

// The same for an already lowered plan (comments are printed when the plan has them).
std::string renderNftPlan(const NftPlan& plan, bool replaceExisting);

// One rule as its nft text without the comment, e.g. "ip daddr 10.0.0.10 udp dport 53
// redirect to :15053" (for error messages).
std::string renderNftRule(const NftRule& rule);

// One set element as nft prints it: "22", "8000-9000", "10.0.0.0/8", "tcp . 80".
std::string renderNftElement(const Cidr& c);
std::string renderNftElement(const PortRange& p);
std::string renderNftElement(const ProtoPorts& p);

}  // namespace kt::rules
