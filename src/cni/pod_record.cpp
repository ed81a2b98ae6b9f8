#include "cni/pod_record.h"

#include <nlohmann/json.hpp>

#include "sys/private_dir.h"

namespace kt::cni {

namespace {

constexpr size_t kMaxRecordBytes = 64 * 1024;

std::string podsDir(const std::string& stateDir) {
  return stateDir + "/pods";
}

std::string fileName(const std::string& containerId) {
  return containerId + ".json";
}

}  // namespace

PodRecord PodRecord::of(const config::Config& cfg) {
  return PodRecord{config::backendName(cfg.effectiveBackend()), cfg.ebpf.bpffsPath,
                   cfg.ebpf.cgroupPath};
}

void PodRecord::applyTo(config::Config& cfg) const {
  if (!bpffsPath.empty()) cfg.ebpf.bpffsPath = bpffsPath;
  if (!cgroupPath.empty()) cfg.ebpf.cgroupPath = cgroupPath;
}

bool recordableContainerId(const std::string& containerId) {
  return containerId.size() <= 200 && sys::validRecordName(containerId) &&
         containerId.front() != '.';
}

Status writePodRecord(const std::string& stateDir, const std::string& containerId,
                      const PodRecord& record) {
  if (!recordableContainerId(containerId)) {
    return Error::config("CNI_CONTAINERID " + containerId + " is not a valid container id")
        .hint("container ids are letters, digits, '_', '.' and '-'");
  }
  KT_ASSIGN_OR_RETURN(auto dir, sys::PrivateDir::open(podsDir(stateDir)));
  nlohmann::json j = {{"backend", record.backend},
                      {"bpffsPath", record.bpffsPath},
                      {"cgroupPath", record.cgroupPath}};
  return dir.write(fileName(containerId), j.dump() + "\n");
}

Result<std::optional<PodRecord>> readPodRecord(const std::string& stateDir,
                                               const std::string& containerId) {
  if (!recordableContainerId(containerId)) return std::optional<PodRecord>();
  KT_ASSIGN_OR_RETURN(auto dir, sys::PrivateDir::openExisting(podsDir(stateDir)));
  if (!dir) return std::optional<PodRecord>();
  KT_ASSIGN_OR_RETURN(auto text, dir->read(fileName(containerId), kMaxRecordBytes));
  if (!text) return std::optional<PodRecord>();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error::runtime("malformed record " + dir->path() + "/" + fileName(containerId));
  }
  auto str = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return std::optional<PodRecord>(PodRecord{str("backend"), str("bpffsPath"), str("cgroupPath")});
}

Status removePodRecord(const std::string& stateDir, const std::string& containerId) {
  if (!recordableContainerId(containerId)) return okStatus();
  KT_ASSIGN_OR_RETURN(auto dir, sys::PrivateDir::openExisting(podsDir(stateDir)));
  if (!dir) return okStatus();
  return dir->remove(fileName(containerId));
}

}  // namespace kt::cni
