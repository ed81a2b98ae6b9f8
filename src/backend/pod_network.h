// The pod's network facts every backend shares, probed once per run in the target namespace
// before any backend is made (app/pipeline.h): the loopback interface (where ::6 goes) and
// whether IPv6 rules go in. Backends receive the result const and do not probe these again.
#pragma once

#include "base/result.h"
#include "config/config.h"
#include "config/facts.h"

namespace kt::backend {

// Refines `facts` (from config::gatherFacts) with one rtnetlink walk of the current network
// namespace: loopbackIface and loopbackIndex, and ipv6, which goes off with a warning when no
// interface other than loopback has an IPv6 address (link-local counts, as in Kuma). When
// dualstack was asked for explicitly (cfg.ipFamilyModeExplicit) that is an error instead:
// kUnsupported, or the listing's own error. With run.dryRun nothing is probed: the facts stay
// what the configuration asks for, so a dry-run prints the same on every machine.
Result<config::Facts> podNetworkFacts(const config::Config& cfg, const config::RunOptions& run,
                                      config::Facts facts);

}  // namespace kt::backend
