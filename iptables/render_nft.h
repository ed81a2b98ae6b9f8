// Renders the model as one `table inet kuma_mesh` nft script, loadable with `nft -f`.
#pragma once

#include <string>

#include "model.h"

namespace kt::rules {

inline constexpr const char* kNftTable = "kuma_mesh";

struct NftOptions {
  bool comments = true;
  // Prepend "table inet kuma_mesh {}" + "delete table inet kuma_mesh" so that `nft -f` replaces
  // an existing table atomically (the dry-run output sets this).
  bool replaceExisting = true;
};

std::string renderNft(const Model& m, const NftOptions& opt);

}  // namespace kt::rules
