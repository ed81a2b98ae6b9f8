// Running a piece of a test in a forked child process, bounded in time: for code that changes
// process-wide state (namespace, cgroup, uid) or whose failure mode is a call that never returns.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "base/result.h"

namespace kt::testing {

// Forks; the child runs `setup` (when given), then `body`, and sends body's text back through a
// pipe. Returns that text. Errors: the pipe or fork failed; setup returned false (the child
// exits without running body); the child did not finish within `limit` (it is then killed, and
// the error says so). The parent always reaps the child.
Result<std::string> runInChild(const std::function<std::string()>& body,
                               std::chrono::milliseconds limit,
                               const std::function<bool()>& setup = {});

}  // namespace kt::testing
