// Bounded whole-file reads, shared by the config stage, the eBPF object loader and the CNI code.
//
// Every file is read as root on behalf of a configuration or a pod, so the reader opens regular
// files only: the path is stat()ed first (a FIFO, device, socket or directory is refused without
// being opened: opening some devices has side effects, and a FIFO without a writer blocks), then
// opened with O_NONBLOCK and checked again with fstat() (the same regular file, not something
// swapped in between), and only then read. The size is checked against the limit before reading.
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"

namespace kt {

struct ReadOptions {
  // Refuse a symbolic link as the last component (O_NOFOLLOW): for paths in directories someone
  // else may write to. Paths the administrator chose may be links (/etc/resolv.conf often is).
  bool noFollow = false;
};

// Reads `fd` to its end. Errors name `what`: "cannot read WHAT: <errno text>", and more than
// maxBytes is a kRuntime error stating the limit ("WHAT is larger than N bytes, the most
// accepted"); nothing more than maxBytes plus one read buffer is ever held.
Result<std::string> readAll(int fd, const std::string& what, size_t maxBytes);

// Opens `path` (read-only, close-on-exec, no controlling tty) as described above and reads it
// with readAll. An open failure is "cannot open WHAT: <errno text>" with the kind errno implies
// (kNotFound when absent, kPermission when denied); anything but a regular file is a kConfig
// error "WHAT is a FIFO, not a regular file" (directory, device, socket, symbolic link).
// `what` defaults to the path.
Result<std::string> readFile(const std::string& path, size_t maxBytes, const std::string& what = {},
                             ReadOptions options = {});

// readFile() of `name` relative to the directory `dirFd` (openat semantics).
Result<std::string> readFileAt(int dirFd, const std::string& name, size_t maxBytes,
                               const std::string& what, ReadOptions options = {});

}  // namespace kt
