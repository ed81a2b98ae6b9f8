// How the helper programs (kt-e2e servers, kt-bench's connection server) learn that they should
// stop: SIGTERM and SIGINT are blocked and read from a signalfd in their poll loop, so a stop
// never interrupts a system call halfway.
#pragma once

#include "base/result.h"
#include "sys/fd.h"

namespace kt::e2e {

// Blocks SIGTERM and SIGINT for the calling thread and returns a signalfd that becomes readable
// when one is pending. Call it before creating any thread.
Result<sys::Fd> stopSignalFd();

}  // namespace kt::e2e
