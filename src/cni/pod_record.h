// What ADD set up for one container, kept for its DEL: the node paths it used (so DEL cleans up
// where ADD installed, also when a pod was allowed to choose them), in a root-only state
// directory (sys/private_dir.h), one file per container id: <state_dir>/pods/<id>.json.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "config/config.h"

namespace kt::cni {

struct PodRecord {
  std::string backend;     // backendName() of the backend installed
  std::string bpffsPath;   // Config::ebpf.bpffsPath
  std::string cgroupPath;  // Config::ebpf.cgroupPath

  static PodRecord of(const config::Config& cfg);
  // Puts the recorded paths into `cfg` (DEL's configuration).
  void applyTo(config::Config& cfg) const;
};

// False for container ids that cannot name a file (the CNI spec allows [A-Za-z0-9_.-]).
bool recordableContainerId(const std::string& containerId);

Status writePodRecord(const std::string& stateDir, const std::string& containerId,
                      const PodRecord& record);
// nullopt when there is none (ADD did not install anything, or ran before this version).
Result<std::optional<PodRecord>> readPodRecord(const std::string& stateDir,
                                               const std::string& containerId);
Status removePodRecord(const std::string& stateDir, const std::string& containerId);

}  // namespace kt::cni
