// Small file helpers shared by the plugin and the installer: bounded reads and atomic
// replacement (write a temporary file in the same directory, fsync, rename over the target), so
// a reader (the container runtime, the plugin) never sees a half-written file.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/read_file.h"
#include "base/result.h"

namespace kt::cni {

// The most the plugin and the installer read from one file (kt::readFile, base/read_file.h:
// kNotFound when absent, kRuntime when larger).
constexpr size_t kMaxFileBytes = 16 << 20;

struct FileOwner {
  uid_t uid;
  gid_t gid;
};

// Replaces `path` atomically with `content`, created with `mode` (not subject to the umask) and,
// when given, chowned to `owner`. The temporary file is `.<name>.tmp.<pid>` in the same
// directory and is removed when anything fails.
Status writeFileAtomic(const std::string& path, std::string_view content, mode_t mode,
                       std::optional<FileOwner> owner = std::nullopt);

// Copies `source` to `path` atomically with `mode` (for the plugin binary: 0755).
Status copyFileAtomic(const std::string& source, const std::string& path, mode_t mode);

// Removes a file; success when it does not exist.
Status removeFile(const std::string& path);

bool fileExists(const std::string& path);
std::string dirName(const std::string& path);   // "/a/b/c" -> "/a/b"; "c" -> "."
std::string baseName(const std::string& path);  // "/a/b/c" -> "c"
std::string joinPath(const std::string& dir, const std::string& name);

}  // namespace kt::cni
