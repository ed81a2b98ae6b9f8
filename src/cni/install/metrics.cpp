#include "cni/install/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/net.h"
#include "base/strings.h"

namespace kt::cni {

namespace {

void metric(std::string& out, const char* name, const char* type, const char* help,
            const std::string& value) {
  out += std::string("# HELP ") + name + " " + help + "\n";
  out += std::string("# TYPE ") + name + " " + type + "\n";
  out += std::string(name) + " " + value + "\n";
}

void sendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

std::string renderMetrics(const MetricsSnapshot& m) {
  std::string out;
  metric(out, "kuma_cni_install_ready", "gauge",
         "1 when kuma-cni is installed and chained on this node", m.ready ? "1" : "0");
  metric(out, "kuma_cni_repair_enabled", "gauge", "1 when the race repair loop runs",
         m.repairEnabled ? "1" : "0");
  metric(out, "kuma_cni_repair_reconciles_total", "counter", "Repair passes run",
         std::to_string(m.repair.passes));
  metric(out, "kuma_cni_repair_pods_checked_total", "counter",
         "Meshed pods whose network namespace was compared with their configuration",
         std::to_string(m.repair.podsChecked));
  metric(out, "kuma_cni_repair_repairs_total", "counter",
         "Pod network namespaces where missing or differing interception was installed",
         std::to_string(m.repair.repairs));
  metric(out, "kuma_cni_repair_failures_total", "counter",
         "Failed pod lists, comparisons and installs", std::to_string(m.repair.failures));
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.6f", m.repair.lastDurationSeconds);
  metric(out, "kuma_cni_repair_last_reconcile_duration_seconds", "gauge",
         "How long the latest repair pass took", duration);
  return out;
}

Result<MetricsListener> MetricsListener::listen(const std::string& address) {
  auto bad = [&] {
    return Error::config("METRICS_ADDR: " + quoteForMessage(address) +
                         " is not HOST:PORT (an IPv4 address, or [IPv6]:PORT)");
  };
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return bad();
  std::string host = address.substr(0, colon);
  std::string portText = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (ec != std::errc() || ptr != portText.data() + portText.size() || port > 65535) return bad();
  auto ip = IpAddress::parse(host);
  if (!ip) return bad();

  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = ip->family == Family::kV4 ? AF_INET : AF_INET6;
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&sin->sin_addr, ip->bytes.data(), 4);
    len = sizeof *sin;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&sin6->sin6_addr, ip->bytes.data(), 16);
    len = sizeof *sin6;
  }
  sys::Fd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::system("metrics socket", errno);
  int one = 1;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return Error::system("binding the metrics endpoint to " + address, errno);
  }
  if (::listen(fd.get(), 16) != 0) return Error::system("listen on " + address, errno);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return Error::system("getsockname", errno);
  }
  uint16_t bound = family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port)
                                     : ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return MetricsListener(std::move(fd), bound);
}

void MetricsListener::serveOne(const std::string& body) const {
  sys::Fd client(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!client) return;  // EAGAIN: nobody waiting (or the client gave up)
  timeval tv{};
  tv.tv_sec = kClientTimeout.count() / 1000;
  tv.tv_usec = static_cast<suseconds_t>(kClientTimeout.count() % 1000 * 1000);
  (void)::setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)::setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // The request head only: a scrape has no body. 8 KiB is plenty for its headers.
  std::string head;
  char buf[1024];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192) {
    ssize_t n = ::recv(client.get(), buf, sizeof buf, 0);
    if (n <= 0) {
      spdlog::debug("metrics: a client sent no complete request");
      return;
    }
    head.append(buf, static_cast<size_t>(n));
  }
  std::string_view line(head.data(), head.find("\r\n"));
  constexpr std::string_view kPrefix = "GET /metrics";
  bool scrape = line.substr(0, kPrefix.size()) == kPrefix && line.size() > kPrefix.size() &&
                (line[kPrefix.size()] == ' ' || line[kPrefix.size()] == '?');
  std::string status = scrape ? "200 OK" : "404 Not Found";
  std::string content = scrape ? body : "not found: GET /metrics\n";
  sendAll(client.get(), "HTTP/1.1 " + status +
                            "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"
                            "\r\nContent-Length: " +
                            std::to_string(content.size()) + "\r\nConnection: close\r\n\r\n" +
                            content);
}

}  // namespace kt::cni
