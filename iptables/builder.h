// Builds the rule model from the configuration: the one place that decides which rules exist,
// their order and their chains: Kuma's layout (the chains, rule order and jumps that Kuma's own
// transparent proxy installs in the nat, raw and mangle tables).
#pragma once

#include "config/config.h"
#include "config/facts.h"
#include "model.h"

namespace kt::rules {

// Pure: the same inputs always give the same Model. Expects a validated Config whose lists are
// normalized (config.h): the model takes them as they are, so port and address lists come out
// sorted and merged (a Config built by hand that is not is repaired with an error logged).
Model build(const config::Config& cfg, const config::Facts& facts);

}  // namespace kt::rules
