#include "cni/install/installer.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "base/strings.h"
#include "cni/files.h"
#include "cni/install/conflist.h"
#include "cni/install/kubeconfig_writer.h"
#include "cni/json_parse.h"

namespace kt::cni {

using nlohmann::ordered_json;

namespace {

constexpr const char* kKubeconfigPlaceholder = "__KUBECONFIG_FILEPATH__";
constexpr const char* kTokenPlaceholder = "__SERVICEACCOUNT_TOKEN__";
constexpr const char* kStandaloneDefaultName = "YYY-kuma-cni.conflist";

bool isConfFileName(std::string_view name) {
  return name.ends_with(".conf") || name.ends_with(".conflist") || name.ends_with(".json");
}

// Replaces the placeholder in every string of the template; reports a token placeholder.
Status substitute(ordered_json& j, const std::string& kubeconfigPath) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    if (s.find(kTokenPlaceholder) != std::string::npos) {
      return Error::config(std::string("CNI_NETWORK_CONFIG contains ") + kTokenPlaceholder +
                           "; the token goes into the kubeconfig only, never into a network "
                           "configuration file that every process on the node can read");
    }
    for (size_t pos; (pos = s.find(kKubeconfigPlaceholder)) != std::string::npos;)
      s.replace(pos, std::string_view(kKubeconfigPlaceholder).size(), kubeconfigPath);
    j = s;
    return okStatus();
  }
  if (j.is_structured()) {
    for (auto& item : j)
      KT_TRY(substitute(item, kubeconfigPath));
  }
  return okStatus();
}

// Writes `text` over `path` keeping the file's mode and owner. `path` is never a symbolic link
// here (see Installer::resolveConf): the rename would replace the link with a regular file.
Status rewritePreserving(const std::string& path, const std::string& text) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return writeFileAtomic(path, text, 0644);
  return writeFileAtomic(path, text, st.st_mode & 07777, FileOwner{st.st_uid, st.st_gid});
}

Result<std::vector<std::string>> listConfFiles(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return Error::system("listing " + dir, errno);
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    if (isConfFileName(name)) names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());  // libcni's order: the first valid file wins
  return names;
}

// "X.conf" / "X.json" -> "X.conflist".
std::string conflistNameFor(const std::string& path) {
  auto dot = path.rfind('.');
  return path.substr(0, dot) + ".conflist";
}

// realpath(3) as a string; a system error naming `what` when it cannot be resolved.
Result<std::string> realPath(const std::string& path, const std::string& what) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved) return Error::system("resolving " + what, errno);
  std::string out(resolved);
  std::free(resolved);
  return out;
}

}  // namespace

Result<std::string> Installer::resolveConf(const std::string& path) const {
  constexpr int kMaxLinks = 8;
  // The host directory tree the links may point into, as the host and as we see it.
  const std::string hostRoot = dirName(cfg_.cniNetDir);
  const std::string mountedRoot = dirName(cfg_.mountedCniNetDir);
  auto refuse = [&](const std::string& why) {
    return Error::config("cannot chain into " + path + ": it is a symbolic link " + why)
        .hint("link the configuration to a regular file inside " + hostRoot +
              ", or set CNI_CONF_NAME to a regular file");
  };
  std::string current = path;
  for (int hop = 0;; ++hop) {
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0) {
      int err = errno;
      if (current == path) return Error::system("inspecting " + path, err);
      return refuse("to " + current + ", which cannot be inspected: " + std::strerror(err));
    }
    if (!S_ISLNK(st.st_mode)) break;
    if (hop == kMaxLinks) return refuse("in a chain of more than 8 links");
    std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
    ssize_t n = ::readlink(current.c_str(), target.data(), target.size());
    if (n < 0 || static_cast<size_t>(n) >= target.size()) {
      return Error::system("reading the link " + current, n < 0 ? errno : ENAMETOOLONG);
    }
    target.resize(static_cast<size_t>(n));
    if (target.empty()) return refuse("with an empty target");
    if (target.front() == '/') {
      // An absolute target is a host path: map it to our mount of the host's directory.
      if (!startsWith(target, hostRoot + "/")) {
        return refuse("to " + target + ", outside " + hostRoot);
      }
      current = mountedRoot + target.substr(hostRoot.size());
    } else {
      current = joinPath(dirName(current), target);
    }
  }
  if (current == path) return path;
  // Every directory on the way resolved too: the file must still be inside the tree.
  KT_ASSIGN_OR_RETURN(std::string real, realPath(current, "the target of " + path));
  KT_ASSIGN_OR_RETURN(std::string realRoot, realPath(mountedRoot, mountedRoot));
  if (!startsWith(real, realRoot == "/" ? "/" : realRoot + "/")) {
    return refuse("to " + real + ", outside " + mountedRoot);
  }
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return refuse("to " + real + ", which is not a regular file");
  }
  return real;
}

Result<std::string> Installer::readConf(const std::string& path) const {
  KT_ASSIGN_OR_RETURN(std::string file, resolveConf(path));
  return readFile(file, kMaxFileBytes);
}

Result<Installer> Installer::make(InstallConfig cfg) {
  auto parsed = parseOrderedJson(cfg.networkConfigTemplate, "CNI_NETWORK_CONFIG");
  if (!parsed) return std::move(parsed).takeError();
  ordered_json tmpl = std::move(*parsed);
  if (!tmpl.is_object()) {
    return Error::config("CNI_NETWORK_CONFIG is not a JSON object");
  }
  if (tmpl.value("type", std::string()) != kPluginType) {
    return Error::config(std::string("CNI_NETWORK_CONFIG: \"type\" must be \"") + kPluginType +
                         "\" (the name the plugin binary is installed under)");
  }
  KT_TRY(substitute(tmpl, cfg.kubeconfigHostPath()));
  return Installer(std::move(cfg), std::move(tmpl));
}

Result<NetConf> Installer::pluginNetConf() const {
  auto doc = nlohmann::json::parse(plugin_.dump());
  if (!doc.contains("cniVersion")) doc["cniVersion"] = "1.0.0";
  return parseNetConf(doc).context("CNI_NETWORK_CONFIG");
}

Status Installer::installBinaries() {
  std::vector<std::string> failures;
  for (const auto& dir : cfg_.binDirs) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      spdlog::info("CNI bin directory {} does not exist, skipped", dir);
      continue;
    }
    std::string target = joinPath(dir, kPluginType);
    if (auto s = copyFileAtomic(cfg_.pluginSource, target, 0755); !s) {
      failures.push_back(s.error().message());
      continue;
    }
    binaries_.insert(target);
    spdlog::info("installed the plugin binary {}", target);
  }
  if (binaries_.empty()) {
    std::string why = failures.empty() ? "none of them exists" : join(failures, "; ");
    return Error::runtime("copying the plugin into " + join(cfg_.binDirs, ", ") + ": " + why)
        .hint("mount the host's CNI bin directory at MOUNTED_CNI_BIN_DIR");
  }
  return okStatus();
}

Status Installer::refreshKubeconfig() {
  auto ca = readFile(cfg_.caFile, 1 << 20);
  if (!ca) return std::move(ca).takeError().context("reading the API server CA (KUBE_CA_FILE)");
  auto token = readFile(cfg_.tokenFile, 1 << 20);
  if (!token) {
    return std::move(token).takeError().context("reading the service account token");
  }
  Secret text = renderPluginKubeconfig(cfg_.serviceHost, cfg_.servicePort, *ca,
                                       Secret(std::string(trim(*token))));
  std::string path = cfg_.kubeconfigMountedPath();
  auto current = readFile(path, 1 << 20);
  if (current && *current == text.reveal()) return okStatus();
  KT_TRY(writeFileAtomic(path, text.reveal(), 0600));
  spdlog::info("wrote the plugin kubeconfig {}", path);
  return okStatus();
}

Result<std::string> Installer::findPrimary() const {
  const std::string& dir = cfg_.mountedCniNetDir;
  if (!cfg_.confName.empty()) {
    std::string path = joinPath(dir, cfg_.confName);
    if (fileExists(path)) return path;
    // A plain .conf we wrapped earlier lives on as a conflist.
    if (cfg_.confName.ends_with(".conf") || cfg_.confName.ends_with(".json")) {
      std::string list = conflistNameFor(path);
      if (fileExists(list)) return list;
    }
    return std::string();
  }
  KT_ASSIGN_OR_RETURN(auto names, listConfFiles(dir));
  for (const auto& name : names) {
    std::string path = joinPath(dir, name);
    auto text = readConf(path);
    if (!text) {
      // A link we refuse to follow is what the runtime would use: say so instead of chaining
      // into the next file.
      if (text.error().kind() == ErrorKind::kConfig) return std::move(text).takeError();
      spdlog::debug("{} is not usable: {}", path, text.error().message());
      continue;
    }
    auto kind = classifyConf(*text);
    if (!kind) {
      spdlog::debug("{} is not a usable network configuration: {}", path, kind.error().message());
      continue;
    }
    return path;
  }
  return std::string();
}

Status Installer::chainInto(const std::string& path) {
  KT_ASSIGN_OR_RETURN(std::string file, resolveConf(path));
  KT_ASSIGN_OR_RETURN(std::string text, readFile(file, kMaxFileBytes));
  KT_ASSIGN_OR_RETURN(ConfKind kind, classifyConf(text).context(path));
  if (kind == ConfKind::kConflist) {
    KT_ASSIGN_OR_RETURN(std::string chained, chainIntoConflist(text, plugin_).context(path));
    touched_.insert(path);
    if (chained == text) return okStatus();
    // A symlinked conflist is edited at its target: the link stays, so the primary CNI's later
    // rewrites of the target still reach the runtime (and we chain into them again).
    KT_TRY(rewritePreserving(file, chained));
    if (file == path) {
      spdlog::info("chained kuma-cni into {}", path);
    } else {
      spdlog::info("chained kuma-cni into {} (the target of the link {})", file, path);
    }
    return okStatus();
  }
  // A single-plugin file: write the wrapping conflist first, then move the original aside, so
  // a crash in between leaves the original (unchained) file winning, never a missing network.
  std::string list = conflistNameFor(path);
  if (fileExists(list)) {
    // Only our own wrapper (it has a kuma-cni entry) may be replaced; never another
    // component's file.
    auto other = readFile(list, kMaxFileBytes);
    auto state = other ? chainState(*other, plugin_) : Result<ChainState>(other.error());
    if (!state || *state == ChainState::kAbsent) {
      return Error::runtime("cannot wrap " + path + " into " + list +
                            ": that file exists and is not ours")
          .hint("set CNI_CONF_NAME to the configuration kuma-cni should be chained into");
    }
  }
  KT_ASSIGN_OR_RETURN(std::string wrapped, wrapConf(text, plugin_).context(path));
  struct stat st {};
  mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  KT_TRY(writeFileAtomic(list, wrapped, mode));
  if (::rename(path.c_str(), (path + kBackupSuffix).c_str()) != 0) {
    return Error::system("moving " + path + " aside", errno);
  }
  touched_.insert(list);
  spdlog::info("wrapped {} into {} with kuma-cni chained (original kept as {}{})", path, list, path,
               kBackupSuffix);
  return okStatus();
}

Status Installer::writeStandalone() {
  std::string name = cfg_.confName.empty() ? kStandaloneDefaultName : cfg_.confName;
  std::string path = joinPath(cfg_.mountedCniNetDir, name);
  ordered_json conf = plugin_;
  if (name.ends_with(".conflist") && !conf.contains("plugins")) {
    ordered_json list = ordered_json::object();
    list["cniVersion"] = conf.value("cniVersion", std::string("0.3.1"));
    list["name"] = conf.value("name", std::string(kPluginType));
    conf.erase("cniVersion");
    list["plugins"] = ordered_json::array({conf});
    conf = std::move(list);
  }
  std::string text = conf.dump(2) + "\n";
  auto current = readFile(path, kMaxFileBytes);
  touched_.insert(path);
  if (current && *current == text) return okStatus();
  KT_TRY(writeFileAtomic(path, text, 0644));
  spdlog::info("wrote the standalone network configuration {}", path);
  return okStatus();
}

Status Installer::install() {
  KT_TRY(installBinaries());
  KT_TRY(refreshKubeconfig());
  if (!cfg_.chained) return writeStandalone();
  // Our entry inside a conflist: libcni gives each plugin the list's cniVersion.
  plugin_.erase("cniVersion");
  auto deadline = std::chrono::steady_clock::now() + cfg_.confWaitTimeout;
  for (bool logged = false;; logged = true) {
    KT_ASSIGN_OR_RETURN(std::string primary, findPrimary());
    if (!primary.empty()) return chainInto(primary);
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error::runtime("no CNI network configuration appeared in " + cfg_.mountedCniNetDir +
                            " within " + std::to_string(cfg_.confWaitTimeout.count()) + " s")
          .hint(
              "chained mode needs the primary CNI's configuration; set CHAINED_CNI_PLUGIN=false "
              "to write a standalone one");
    }
    if (!logged)
      spdlog::info("waiting for a CNI network configuration in {}", cfg_.mountedCniNetDir);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

Status Installer::reconcile() {
  if (!cfg_.chained) return writeStandalone();
  KT_ASSIGN_OR_RETURN(std::string primary, findPrimary());
  if (primary.empty()) {
    return Error::runtime("no CNI network configuration in " + cfg_.mountedCniNetDir);
  }
  KT_ASSIGN_OR_RETURN(std::string text, readConf(primary));
  KT_ASSIGN_OR_RETURN(ConfKind kind, classifyConf(text).context(primary));
  if (kind == ConfKind::kConflist) {
    KT_ASSIGN_OR_RETURN(ChainState state, chainState(text, plugin_).context(primary));
    if (state == ChainState::kCurrent) return okStatus();
    spdlog::warn("{}: kuma-cni is {} in the chain; chaining it again", primary,
                 state == ChainState::kAbsent ? "missing" : "outdated or misplaced");
  } else {
    spdlog::warn("{} was (re)written as a plain configuration; wrapping it again", primary);
  }
  return chainInto(primary);
}

Status Installer::unchainFile(const std::string& path) {
  // A conflist we made from a plain .conf: put the original back, byte for byte.
  for (const char* ext : {".conf", ".json"}) {
    std::string original = path.substr(0, path.rfind('.')) + ext;
    std::string backup = original + kBackupSuffix;
    if (path.ends_with(".conflist") && fileExists(backup)) {
      if (fileExists(original)) {
        // The primary CNI wrote its file again since we wrapped it: that newer file stays, the
        // older copy goes.
        KT_TRY(removeFile(backup));
      } else if (::rename(backup.c_str(), original.c_str()) != 0) {
        return Error::system("restoring " + original, errno);
      }
      KT_TRY(removeFile(path));
      spdlog::info("restored {} and removed {}", original, path);
      return okStatus();
    }
  }
  auto file = resolveConf(path);
  if (!file) {
    if (file.error().errnum() == ENOENT) return okStatus();
    return std::move(file).takeError();
  }
  auto text = readFile(*file, kMaxFileBytes);
  if (!text) {
    if (text.error().kind() == ErrorKind::kNotFound) return okStatus();
    return std::move(text).takeError();
  }
  if (classifyConf(*text).ok() && *classifyConf(*text) != ConfKind::kConflist) return okStatus();
  KT_ASSIGN_OR_RETURN(std::string clean, unchainFromConflist(*text).context(path));
  if (clean == *text) return okStatus();
  // The target of a link gets its text back; the link itself is left as it is.
  KT_TRY(rewritePreserving(*file, clean));
  spdlog::info("removed kuma-cni from {}", *file);
  return okStatus();
}

Status Installer::uninstall() {
  std::vector<std::string> failures;
  auto note = [&](Status s) {
    if (!s) failures.push_back(s.error().message());
  };
  if (!cfg_.chained) {
    for (const auto& path : touched_)
      note(removeFile(path));
  } else {
    // Every file with our entry, also ones chained by an earlier run of the installer.
    std::set<std::string> files = touched_;
    if (auto names = listConfFiles(cfg_.mountedCniNetDir)) {
      for (const auto& name : *names)
        files.insert(joinPath(cfg_.mountedCniNetDir, name));
    }
    for (const auto& path : files) {
      auto text = readConf(path);
      if (!text) continue;
      auto state = chainState(*text, plugin_);
      if (state.ok() && *state != ChainState::kAbsent) note(unchainFile(path));
    }
  }
  note(removeFile(cfg_.kubeconfigMountedPath()));
  for (const auto& bin : binaries_)
    note(removeFile(bin));
  if (!failures.empty()) return Error::runtime("uninstall: " + join(failures, "; "));
  spdlog::info("kuma-cni removed from this node");
  return okStatus();
}

}  // namespace kt::cni
