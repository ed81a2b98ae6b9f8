// The install and verify commands.
//
// Flow: load the configuration -> disabled? say so -> (install without --netns: refuse a node's
// namespace) -> the run pipeline (app/pipeline.h: facts, CAP_NET_ADMIN unless dry-run, enter
// --netns, lock unless dry-run) -> (verify without --backend: the installed backend) -> create
// the backend (its probes run in the target namespace) -> dry-run: print the rules / verify:
// compare with the kernel / else: apply.
#pragma once

#include "base/result.h"
#include "config/loader.h"

namespace kt::app {

enum class InstallOutcome {
  kDone,           // installed, printed (dry-run) or verified equal
  kDisabled,       // transparent proxying is disabled: nothing to do
  kVerifyDiffers,  // verify found differences (printed on stdout)
};

// `verify` = compare instead of installing. Unless `allowHostNamespace`, an install without
// --netns into a namespace that looks like a node's is refused with kConfig (app/host_namespace.h).
// Errors: kConfig for bad configuration (nothing was changed), others for runtime failures.
// Warnings and progress are logged; only rules (dry-run) and differences (verify) go to stdout.
Result<InstallOutcome> runInstall(const config::LoadRequest& request, bool verify,
                                  bool allowHostNamespace = false);

}  // namespace kt::app
