// Bounded whole-file reads, shared by the config stage, the eBPF object loader and the CNI code.
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"

namespace kt {

// Reads `fd` to its end. Errors name `what`: "cannot read WHAT: <errno text>", and more than
// maxBytes is a kRuntime error stating the limit ("WHAT is larger than N bytes, the most
// accepted"); nothing more than maxBytes plus one read buffer is ever held.
Result<std::string> readAll(int fd, const std::string& what, size_t maxBytes);

// Opens `path` (read-only, close-on-exec, no controlling tty) and reads it with readAll. An open
// failure is "cannot open WHAT: <errno text>" with the kind errno implies (kNotFound when absent,
// kPermission when denied). `what` defaults to the path.
Result<std::string> readFile(const std::string& path, size_t maxBytes,
                             const std::string& what = {});

}  // namespace kt
