#include "render_nft.h"

namespace kt::rules {

// Placeholder until the renderer lands (issue 2).
std::string renderNft(const Model&, const NftOptions&) {
  return {};
}

}  // namespace kt::rules
