// The installer's Prometheus text endpoint (METRICS_ADDR): whether the node is installed and
// ready, and the race repair's counters.
//
// A deliberately small server: one listening TCP socket served from the installer's own poll
// loop (no thread), answering GET /metrics with the text exposition format and anything else
// with 404, one request per connection. Debian's HTTP server libraries (cpp-httplib, civetweb)
// ship only shared libraries, and the binary the installer copies to nodes must need nothing
// but glibc and libmnl. A client that connects and stalls holds the loop for at most
// kClientTimeout.
#pragma once

#include <chrono>
#include <string>

#include "base/result.h"
#include "cni/install/repair.h"
#include "sys/fd.h"

namespace kt::cni {

struct MetricsSnapshot {
  bool ready = false;
  bool repairEnabled = false;
  RepairStats repair;
};

// The exposition text (HELP and TYPE lines, one sample per metric).
std::string renderMetrics(const MetricsSnapshot& m);

class MetricsListener {
 public:
  static constexpr std::chrono::milliseconds kClientTimeout{1000};

  // Listens on "HOST:PORT" (an IPv4 address, or an IPv6 one in brackets); port 0 picks one.
  // kConfig for a malformed address, a system error when it cannot be bound.
  static Result<MetricsListener> listen(const std::string& address);

  int fd() const { return fd_.get(); }
  uint16_t port() const { return port_; }
  // Accepts one pending connection (if any), reads its request and answers it with `body`
  // for GET /metrics. Errors of one client are logged at debug level, never returned.
  void serveOne(const std::string& body) const;

 private:
  MetricsListener(sys::Fd fd, uint16_t port) : fd_(std::move(fd)), port_(port) {}
  sys::Fd fd_;
  uint16_t port_ = 0;
};

}  // namespace kt::cni
