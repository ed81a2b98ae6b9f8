// The uninstall command: removes what any backend installed in the current (or --netns)
// network namespace.
#pragma once

#include "base/result.h"
#include "config/loader.h"

namespace kt::app {

// The flags of `uninstall` that are settings (parsed by the config stage like install's).
inline const std::vector<std::string_view>& uninstallSettingFlags() {
  static const std::vector<std::string_view> flags = {
      "--dry-run", "--verbose", "--netns", "--backend", "--ebpf-bpffs-path", "--ebpf-cgroup-path",
  };
  return flags;
}

// `request` carries only uninstall's setting flags. `ebpfAll` = --ebpf-all. With --backend other
// than auto, only the backends of that family are uninstalled. Every backend is attempted even
// when one fails; the error then names each failure. Dry-run lists the backends on stdout.
Status runUninstall(const config::LoadRequest& request, bool ebpfAll);

}  // namespace kt::app
