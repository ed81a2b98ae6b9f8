// Logging set-up: every log line goes to stderr (stdout is for machine output), as text or as
// one JSON object per line, optionally also to a file (the CNI plugin's log file).
#pragma once

#include <string>

#include "base/result.h"

namespace kt::app {

struct LogOptions {
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string format = "text";  // text | json
  // Also append here when set: a regular file, never reached through a symbolic link, created
  // with mode 0600 (see openLogFile in logging.cpp).
  std::string file;
};

// Validates the options (kConfig error naming the bad value) and installs the default logger.
Status setupLogging(const LogOptions& opt);

}  // namespace kt::app
