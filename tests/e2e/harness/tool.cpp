#include "harness/tool.h"

#include <cstdlib>

#include "base/strings.h"
#include "sys/exec.h"
#include "tool/client.h"

namespace kt::e2e {

namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(10);

std::string fromEnvOr(const char* var, const char* fallback) {
  const char* v = std::getenv(var);
  return v && *v ? v : fallback;
}

Result<Reply> runClient(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::string path = toolPath();
  Reply reply;
  reply.command = sys::commandLine(path, args);
  // The client enforces its own timeout; ours only guards against a hung helper.
  KT_ASSIGN_OR_RETURN(
      auto r, sys::run({path, args, {}, {}, timeout + std::chrono::seconds(10), nullptr, nullptr}));
  switch (r.exitCode) {
    case kExitReply:
      reply.status = Reply::Status::kReply;
      break;
    case kExitRefused:
      reply.status = Reply::Status::kRefused;
      return reply;
    case kExitTimeout:
      reply.status = Reply::Status::kTimeout;
      return reply;
    case kExitNoReply:
      reply.status = Reply::Status::kNoReply;
      return reply;
    case kExitUnreachable:
      reply.status = Reply::Status::kUnreachable;
      return reply;
    default:
      return Error::runtime(reply.command + ": " + r.describe());
  }
  reply.line = std::string(trim(r.out));
  auto words = splitList(reply.line, ' ');
  if (!words.empty()) reply.role = words.front();
  for (const auto& w : words) {
    auto eq = w.find('=');
    if (eq != std::string::npos) reply.fields[w.substr(0, eq)] = w.substr(eq + 1);
  }
  return reply;
}

}  // namespace

std::string toolPath() {
  return fromEnvOr("KT_E2E_TOOL", KT_E2E_TOOL_PATH);
}

std::string tproxyPath() {
  return fromEnvOr("KT_TPROXY_BIN", KT_TPROXY_PATH);
}

std::vector<std::string> placementArgs(const Placement& where) {
  std::vector<std::string> args;
  if (!where.cgroupDir.empty()) args.insert(args.end(), {"--cgroup", where.cgroupDir});
  if (!where.netnsPath.empty()) args.insert(args.end(), {"--netns", where.netnsPath});
  if (where.uid) args.insert(args.end(), {"--uid", std::to_string(*where.uid)});
  if (where.gid) args.insert(args.end(), {"--gid", std::to_string(*where.gid)});
  return args;
}

Result<std::unique_ptr<Process>> startSidecar(const Placement& where, const SidecarPorts& ports) {
  auto args = placementArgs(where);
  args.insert(args.end(),
              {"sidecar", "--outbound-port", std::to_string(ports.outbound), "--inbound-port",
               std::to_string(ports.inbound), "--inbound-port-v6", std::to_string(ports.inboundV6),
               "--dns-port", std::to_string(ports.dns)});
  return Process::start(toolPath(), std::move(args), "ready", kReadyTimeout);
}

Result<std::unique_ptr<Process>> startServer(const Placement& where, const std::string& name,
                                             const std::vector<uint16_t>& tcpPorts,
                                             uint16_t dnsPort) {
  auto args = placementArgs(where);
  args.insert(args.end(), {"server", "--name", name, "--dns-port", std::to_string(dnsPort)});
  for (uint16_t p : tcpPorts)
    args.insert(args.end(), {"--port", std::to_string(p)});
  return Process::start(toolPath(), std::move(args), "ready", kReadyTimeout);
}

std::string Reply::field(const std::string& key) const {
  auto it = fields.find(key);
  return it == fields.end() ? std::string() : it->second;
}

std::string Reply::describe() const {
  std::string what;
  switch (status) {
    case Status::kReply:
      what = "'" + line + "'";
      break;
    case Status::kRefused:
      what = "connection refused";
      break;
    case Status::kTimeout:
      what = "timed out";
      break;
    case Status::kNoReply:
      what = "closed without a reply";
      break;
    case Status::kUnreachable:
      what = "unreachable";
      break;
  }
  return what + " (from: " + command + ")";
}

Result<Reply> connectFrom(const Placement& where, const Endpoint& to,
                          const ConnectFromOptions& opt) {
  auto args = placementArgs(where);
  args.insert(args.end(), {"connect", "--to", formatEndpoint(to), "--timeout-ms",
                           std::to_string(opt.timeout.count())});
  if (opt.bind) args.insert(args.end(), {"--bind", opt.bind->str()});
  return runClient(args, opt.timeout);
}

Result<Reply> queryDnsFrom(const Placement& where, const Endpoint& server,
                           const DnsQueryOptions& opt) {
  auto args = placementArgs(where);
  args.insert(args.end(), {"dns", "--to", formatEndpoint(server), "--type", opt.aaaa ? "AAAA" : "A",
                           "--timeout-ms", std::to_string(opt.timeout.count())});
  if (opt.connected) args.push_back("--connected");
  return runClient(args, opt.timeout);
}

}  // namespace kt::e2e
