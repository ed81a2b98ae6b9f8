// Runs one packet through the nat chains of a rule model (iptables/model.h) the way netfilter
// would: the first packet of a new connection enters nat OUTPUT (locally generated) or nat
// PREROUTING (arriving); rules are tried in order, Jump descends into our chains, Return goes back
// to the caller (in a built-in chain: the packet is accepted untouched), Redirect ends the walk,
// Log goes on with the next rule.
//
// Only what the builder puts into nat chains is modelled. Anything else (a jump into another
// program's chain, an action that does not belong in nat, a match the packet cannot have, such
// as an owner match on an arriving packet) is an error, so that a new kind of rule makes the
// parity test fail instead of being evaluated wrongly.
#pragma once

#include <string>

#include "iptables/model.h"
#include "packet.h"

namespace kt::parity {

struct ModelResult {
  Verdict verdict;
  std::string error;  // non-empty: the model has something this evaluator does not model
  std::string rule;   // tag of the deciding rule ("" = no rule decided: the packet passed)
};

ModelResult evaluateModel(const rules::Model& model, const Packet& packet);

}  // namespace kt::parity
