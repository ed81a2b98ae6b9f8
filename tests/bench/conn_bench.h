// New-connections-per-second measurement (perf-baselines.md part B): a single-threaded server
// that answers 64 bytes with 64 bytes and closes, and a client that opens `count` connections
// one after another (connect, send 64 B, receive 64 B, close with SO_LINGER 0 so no TIME_WAIT
// piles up) and reports connections per second.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "base/result.h"
#include "tool/endpoint.h"

namespace kt::bench {

// Listens on 0.0.0.0:port and [::]:port; calls `ready` once listening; serves until SIGTERM /
// SIGINT or `lifetime`.
Status runConnServer(uint16_t port, std::chrono::seconds lifetime,
                     const std::function<Status()>& ready);

// Returns connections per second over `count` connections to `to`.
Result<double> runConnClient(const e2e::Endpoint& to, int count);

}  // namespace kt::bench
