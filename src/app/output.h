// Machine output on stdout (dry-run rules, verify differences). Logs never go here.
#pragma once

#include <string_view>

#include "base/result.h"

namespace kt::app {

// Writes all of `text` to stdout and flushes; a failed write (closed pipe, full disk) is an error.
Status writeStdout(std::string_view text);

}  // namespace kt::app
