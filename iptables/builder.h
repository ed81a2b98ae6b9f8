// Builds the rule model from the configuration: the one place that decides which rules exist,
// their order and their chains: Kuma's layout (the chains, rule order and jumps that Kuma's own
// transparent proxy installs in the nat, raw and mangle tables).
//
// The same policy has a second implementation: the eBPF backend's plan
// (src/backend/ebpf/plan.cpp) and the programs that read it (bpf/sock_addr.bpf.c,
// bpf/sk_lookup.bpf.c). tests/parity checks the two against each other over every golden
// scenario (rule tags -> eBPF features, and packet verdicts); a new rule here fails that test
// until the eBPF side implements it or the test lists it as a deliberate difference.
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
