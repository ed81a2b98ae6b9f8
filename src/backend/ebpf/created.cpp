#include "backend/ebpf/created.h"

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "backend/ebpf/host.h"
#include "backend/ebpf/objects.h"
#include "sys/private_dir.h"

namespace kt::backend::ebpf {

namespace {

constexpr size_t kMaxRecordBytes = 64 * 1024;

std::string recordName(const std::string& bpffs) {
  return "bpffs-" + sha256Hex(bpffs) + ".json";
}

}  // namespace

Status removeCreated(const CreatedBpffs& created) {
  Status first = okStatus();
  auto note = [&](Error e) {
    spdlog::warn("eBPF: {}", e.message());
    if (first) first = std::move(e);
  };
  if (created.mounted && isBpffs(created.bpffs)) {
    if (::umount2(created.bpffs.c_str(), MNT_DETACH) != 0) {
      note(Error::system("unmounting the bpffs we mounted on " + created.bpffs, errno));
    } else {
      spdlog::info("eBPF: unmounted the bpffs we mounted on {}", created.bpffs);
    }
  }
  for (auto it = created.dirs.rbegin(); it != created.dirs.rend(); ++it) {
    if (::rmdir(it->c_str()) == 0) {
      spdlog::info("eBPF: removed directory {} (created by the install)", *it);
    } else if (errno != ENOENT) {
      note(Error::system("removing directory " + *it + " (created by the install)", errno));
    }
  }
  return first;
}

Status recordCreated(const std::string& stateDir, const CreatedBpffs& created) {
  if (created.empty()) return okStatus();
  KT_ASSIGN_OR_RETURN(auto dir, sys::PrivateDir::open(stateDir));
  CreatedBpffs all = created;
  KT_ASSIGN_OR_RETURN(auto old, readCreated(stateDir, created.bpffs));
  if (old) {
    all.mounted = all.mounted || old->mounted;
    std::vector<std::string> dirs = old->dirs;
    for (const auto& d : created.dirs)
      if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
    // Outermost first: a parent is a prefix of its children.
    std::sort(dirs.begin(), dirs.end());
    all.dirs = std::move(dirs);
  }
  nlohmann::json j = {{"bpffs", all.bpffs}, {"mounted", all.mounted}, {"dirs", all.dirs}};
  return dir.write(recordName(created.bpffs), j.dump() + "\n");
}

Result<std::optional<CreatedBpffs>> readCreated(const std::string& stateDir,
                                                const std::string& bpffs) {
  KT_ASSIGN_OR_RETURN(auto dir, sys::PrivateDir::openExisting(stateDir));
  if (!dir) return std::optional<CreatedBpffs>();
  KT_ASSIGN_OR_RETURN(auto text, dir->read(recordName(bpffs), kMaxRecordBytes));
  if (!text) return std::optional<CreatedBpffs>();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  CreatedBpffs c;
  if (j.is_discarded() || !j.is_object() || !j.value("bpffs", nlohmann::json()).is_string() ||
      j["bpffs"].get<std::string>() != bpffs) {
    return Error::runtime("malformed record " + dir->path() + "/" + recordName(bpffs));
  }
  c.bpffs = bpffs;
  c.mounted = j.value("mounted", false);
  if (auto d = j.find("dirs"); d != j.end() && d->is_array()) {
    for (const auto& e : *d)
      if (e.is_string()) c.dirs.push_back(e.get<std::string>());
  }
  return std::optional<CreatedBpffs>(std::move(c));
}

Status forgetCreated(const std::string& stateDir, const std::string& bpffs) {
  KT_ASSIGN_OR_RETURN(auto dir, sys::PrivateDir::openExisting(stateDir));
  if (!dir) return okStatus();
  return dir->remove(recordName(bpffs));
}

}  // namespace kt::backend::ebpf
