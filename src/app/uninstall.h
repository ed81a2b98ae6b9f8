// The uninstall command: removes what any backend installed in the current (or --netns)
// network namespace.
#pragma once

#include "base/result.h"
#include "config/loader.h"

namespace kt::app {

// The flags of `uninstall` that are settings (parsed by the config stage like install's).
inline const std::vector<std::string_view>& uninstallSettingFlags() {
  static const std::vector<std::string_view> flags = {
      "--dry-run",         "--verbose",          "--netns",        "--backend",
      "--ebpf-bpffs-path", "--ebpf-cgroup-path", "--ebpf-enabled",
  };
  return flags;
}

// `request` carries only uninstall's setting flags; install-only settings (the eBPF instance IP)
// are never needed. `ebpfAll` = --ebpf-all; Kuma's --ebpf-enabled means the same (its node
// cleanup form) and, without --backend, limits the run to eBPF. With --backend only the
// backends it names are uninstalled; when none of them has state here but another backend has,
// that is said (with the command that would remove it) and the result is success without
// claiming a removal. Every backend with state is attempted even when one fails; the error then
// names each failure. ::6/128 goes from loopback when no backend of ours is left and install
// added it. Dry-run prints what would be removed, one line per backend and family, on stdout.
Status runUninstall(const config::LoadRequest& request, bool ebpfAll);

}  // namespace kt::app
