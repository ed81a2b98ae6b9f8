// Reading the files the config stage is pointed at, with a size limit.
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"

namespace kt::config {

// Reads the whole file at `path`. More than maxBytes is an error that states the limit; open and
// read errors carry errno. Messages name the file.
Result<std::string> readFileLimited(const std::string& path, size_t maxBytes);

// Reads a file descriptor (e.g. stdin) to its end, at most maxBytes.
Result<std::string> readFdLimited(int fd, const std::string& what, size_t maxBytes);

}  // namespace kt::config
