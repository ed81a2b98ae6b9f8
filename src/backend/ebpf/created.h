// What an install created to get a usable bpffs (directories, a bpffs mount), recorded so that
// the uninstall that removes the last pod from that bpffs removes them too, and a failed install
// removes them at once. Nothing is ever removed that an install of ours did not create: a bpffs
// that was already there (such as /sys/fs/bpf) is left mounted, with its node-wide programs
// (`uninstall --ebpf-all` removes those).
//
// The records live in a root-only directory (Config::Ebpf::stateDir, sys/private_dir.h), one
// file per bpffs path: bpffs-<sha256 of the path>.json = {"bpffs":..., "mounted":...,
// "dirs":[...]}.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace kt::backend::ebpf {

struct CreatedBpffs {
  std::string bpffs;
  bool mounted = false;           // a bpffs was mounted on `bpffs`
  std::vector<std::string> dirs;  // directories made for it, outermost first

  bool empty() const { return !mounted && dirs.empty(); }
};

// Unmounts (when `mounted` and the path is still a bpffs) and removes the directories, innermost
// first, each only when empty. Problems are logged; returns the first one.
Status removeCreated(const CreatedBpffs& created);

// Adds `created` to the record of its bpffs (a later install may have created nothing, an
// earlier one the mount).
Status recordCreated(const std::string& stateDir, const CreatedBpffs& created);
// The record of `bpffs`; nullopt when nothing was recorded.
Result<std::optional<CreatedBpffs>> readCreated(const std::string& stateDir,
                                                const std::string& bpffs);
Status forgetCreated(const std::string& stateDir, const std::string& bpffs);

}  // namespace kt::backend::ebpf
