// kt-e2e: the helper program of the end-to-end tests, demo and benchmark.
//
//   kt-e2e [--cgroup DIR] [--netns PATH] [--uid N [--gid N]] SUBCOMMAND ...
//
// Every subcommand first joins the cgroup (host mount view), then the network namespace (setns),
// then drops to uid/gid (place/placement.h). Subcommands:
//   sidecar  fake kuma-dp: reports the original destination of each redirected connection, and
//            answers DNS with A 10.99.99.99 / AAAA fd99::99 (ports configurable)
//   server   plain TCP server on --port (repeatable), optional DNS resolver on --dns-port answering
//            A 10.88.88.88 / AAAA fd88::88
//   connect  one TCP connection to --to, prints the reply line; exit code 0 reply, 2 refused,
//            3 timeout, 4 closed without reply, 5 unreachable, 1 error
//   dns      one DNS query over UDP to --to, prints "dns answer=ADDR from=ENDPOINT"; exit codes as
//            connect
//   exec     runs a program (absolute path or looked up in PATH) in the placement: `exec -- CMD...`
// sidecar and server print "ready" on stdout once every socket is open, then serve until SIGTERM,
// SIGINT, their parent's exit, or --lifetime seconds. stdout carries only those lines; logs go to
// stderr.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/logging.h"
#include "place/placement.h"
#include "sys/exec.h"
#include "tool/client.h"
#include "tool/dns_wire.h"
#include "tool/responder.h"

namespace {

using kt::Status;
using kt::e2e::Placement;

struct Args {
  std::string cgroup, netns, logLevel = "warn";
  int64_t uid = -1, gid = -1;
  // sidecar / server
  uint16_t outboundPort = 15001, inboundPort = 15006, inboundPortV6 = 15010, sidecarDnsPort = 15053;
  std::vector<uint16_t> ports;
  uint16_t serverDnsPort = 0;
  std::string answerA, answerAaaa, name = "server";
  int64_t lifetime = 600;
  // connect / dns
  std::string to, bind, qname = "kuma-e2e.test", qtype = "A";
  bool connected = false;
  int64_t timeoutMs = 3000;
  // exec
  std::vector<std::string> command;
};

Placement placementOf(const Args& a) {
  Placement p{a.cgroup, a.netns, std::nullopt, std::nullopt};
  if (a.uid >= 0) p.uid = static_cast<uid_t>(a.uid);
  if (a.gid >= 0) p.gid = static_cast<gid_t>(a.gid);
  return p;
}

int fail(const kt::Error& e) {
  spdlog::error("{}", e.message());
  if (!e.hint().empty()) spdlog::error("hint: {}", e.hint());
  return kt::e2e::kExitError;
}

// Drops privileges and arms the parent-death signal: long-running helpers never outlive whoever
// started them, even if that process crashes.
Status dropAndTieToParent(const Placement& p, pid_t parent) {
  KT_TRY(kt::e2e::dropPrivileges(p));
  return kt::e2e::armParentDeathSignal(SIGTERM, parent);
}

Status printReady() {
  if (std::printf("ready\n") < 0 || std::fflush(stdout) != 0) {
    return kt::Error::runtime("cannot write the ready line to stdout");
  }
  return kt::okStatus();
}

kt::Result<std::optional<kt::IpAddress>> optionalAddress(const std::string& text) {
  if (text.empty()) return std::optional<kt::IpAddress>();
  KT_ASSIGN_OR_RETURN(auto a, kt::IpAddress::parse(text));
  return std::optional<kt::IpAddress>(a);
}

int runSidecar(const Args& a, pid_t parent) {
  kt::e2e::ResponderOptions opt;
  opt.role = kt::e2e::ResponderOptions::Role::kSidecar;
  opt.tcpPorts = {a.outboundPort, a.inboundPort};
  if (a.inboundPortV6 != a.inboundPort) opt.tcpPorts.push_back(a.inboundPortV6);
  opt.dnsPort = a.sidecarDnsPort;
  auto answerA = kt::IpAddress::parse(a.answerA.empty() ? "10.99.99.99" : a.answerA);
  auto answerAaaa = kt::IpAddress::parse(a.answerAaaa.empty() ? "fd99::99" : a.answerAaaa);
  if (!answerA) return fail(answerA.error());
  if (!answerAaaa) return fail(answerAaaa.error());
  opt.dnsA = *answerA;
  opt.dnsAaaa = *answerAaaa;
  opt.lifetime = std::chrono::seconds(a.lifetime);
  // Sockets are created after the uid change: the sidecar's DNS replies must carry uid 5678 for
  // the conntrack-zone rules (-m owner --uid-owner) to match them, as kuma-dp's would.
  if (auto s = dropAndTieToParent(placementOf(a), parent); !s) return fail(s.error());
  auto s = kt::e2e::runResponder(opt, printReady);
  return s ? 0 : fail(s.error());
}

int runServer(const Args& a, pid_t parent) {
  kt::e2e::ResponderOptions opt;
  opt.role = kt::e2e::ResponderOptions::Role::kServer;
  opt.name = a.name;
  opt.tcpPorts = a.ports;
  opt.dnsPort = a.serverDnsPort;
  auto answerA = kt::IpAddress::parse(a.answerA.empty() ? "10.88.88.88" : a.answerA);
  auto answerAaaa = kt::IpAddress::parse(a.answerAaaa.empty() ? "fd88::88" : a.answerAaaa);
  if (!answerA) return fail(answerA.error());
  if (!answerAaaa) return fail(answerAaaa.error());
  opt.dnsA = *answerA;
  opt.dnsAaaa = *answerAaaa;
  opt.lifetime = std::chrono::seconds(a.lifetime);
  // Servers bind first (ports 53 and 80 need root) and drop afterwards; what they send only
  // answers connections others opened, so their uid does not matter to the rules.
  Placement p = placementOf(a);
  auto s = kt::e2e::runResponder(opt, [&]() -> Status {
    KT_TRY(dropAndTieToParent(p, parent));
    return printReady();
  });
  return s ? 0 : fail(s.error());
}

int report(const kt::Result<kt::e2e::Outcome>& r) {
  if (!r) return fail(r.error());
  if (r->exitCode == kt::e2e::kExitReply) {
    std::printf("%s\n", r->line.c_str());
    std::fflush(stdout);
  }
  return r->exitCode;
}

int runConnect(const Args& a) {
  if (auto s = kt::e2e::dropPrivileges(placementOf(a)); !s) return fail(s.error());
  auto to = kt::e2e::parseEndpoint(a.to);
  if (!to) return fail(to.error());
  auto bind = optionalAddress(a.bind);
  if (!bind) return fail(bind.error());
  return report(kt::e2e::runConnect({*to, *bind, std::chrono::milliseconds(a.timeoutMs)}));
}

int runDns(const Args& a) {
  if (auto s = kt::e2e::dropPrivileges(placementOf(a)); !s) return fail(s.error());
  auto to = kt::e2e::parseEndpoint(a.to);
  if (!to) return fail(to.error());
  kt::e2e::DnsOptions opt;
  opt.to = *to;
  opt.name = a.qname;
  opt.qtype = a.qtype == "AAAA" ? kt::e2e::dns::kTypeAaaa : kt::e2e::dns::kTypeA;
  opt.connected = a.connected;
  opt.timeout = std::chrono::milliseconds(a.timeoutMs);
  return report(kt::e2e::runDns(opt));
}

int runExec(const Args& a, pid_t parent) {
  auto path = kt::sys::findExecutable(a.command.front());
  if (!path) return fail(path.error());
  // SIGKILL: the program may not expect SIGTERM from nowhere, but must not outlive its starter.
  if (auto s = kt::e2e::dropPrivileges(placementOf(a)); !s) return fail(s.error());
  if (auto s = kt::e2e::armParentDeathSignal(SIGKILL, parent); !s) return fail(s.error());
  std::vector<char*> argv;
  std::vector<std::string> args = a.command;
  for (auto& s : args)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  ::execv(path->c_str(), argv.data());
  return fail(kt::Error::system("execv " + *path, errno));
}

}  // namespace

int main(int argc, char** argv) {
  pid_t parent = ::getppid();
  Args a;
  CLI::App app{"kt-e2e: helper processes for kuma-tproxy's end-to-end tests", "kt-e2e"};
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--cgroup", a.cgroup, "cgroup v2 directory to join first (host mount view)");
  app.add_option("--netns", a.netns, "network namespace file to enter with setns");
  app.add_option("--uid", a.uid, "uid to run as after joining");
  app.add_option("--gid", a.gid, "gid to run as (default: the uid)");
  app.add_option("--log-level", a.logLevel, "trace, debug, info, warn, error, off");

  auto* sidecar = app.add_subcommand("sidecar", "fake kuma-dp reporting original destinations");
  sidecar->add_option("--outbound-port", a.outboundPort);
  sidecar->add_option("--inbound-port", a.inboundPort);
  sidecar->add_option("--inbound-port-v6", a.inboundPortV6);
  sidecar->add_option("--dns-port", a.sidecarDnsPort);
  sidecar->add_option("--answer-a", a.answerA, "A record returned (default 10.99.99.99)");
  sidecar->add_option("--answer-aaaa", a.answerAaaa, "AAAA record returned (default fd99::99)");
  sidecar->add_option("--lifetime", a.lifetime, "seconds before exiting on its own");

  auto* server = app.add_subcommand("server", "plain TCP server and DNS resolver");
  server->add_option("--port", a.ports, "TCP port to serve (repeatable)");
  server->add_option("--dns-port", a.serverDnsPort, "UDP+TCP DNS port (0 = none)");
  server->add_option("--answer-a", a.answerA, "A record returned (default 10.88.88.88)");
  server->add_option("--answer-aaaa", a.answerAaaa, "AAAA record returned (default fd88::88)");
  server->add_option("--name", a.name, "printed in every reply line as name=...");
  server->add_option("--lifetime", a.lifetime, "seconds before exiting on its own");

  auto* connect = app.add_subcommand("connect", "one TCP connection, print the reply line");
  connect->add_option("--to", a.to, "ADDR:PORT or [ADDR]:PORT")->required();
  connect->add_option("--bind", a.bind, "source address, e.g. 127.0.0.6");
  connect->add_option("--timeout-ms", a.timeoutMs);

  auto* dnsCmd = app.add_subcommand("dns", "one DNS query over UDP, print the answer");
  dnsCmd->add_option("--to", a.to, "ADDR:PORT or [ADDR]:PORT")->required();
  dnsCmd->add_option("--name", a.qname);
  dnsCmd->add_option("--type", a.qtype)->check(CLI::IsMember({"A", "AAAA"}));
  dnsCmd->add_flag("--connected", a.connected, "connect() the socket first (as glibc does)");
  dnsCmd->add_option("--timeout-ms", a.timeoutMs);

  auto* exec = app.add_subcommand("exec", "run a program in the placement: exec -- CMD ARGS...");
  exec->add_option("command", a.command, "program and arguments")->required();

  CLI11_PARSE(app, argc, argv);
  if (auto s = kt::app::setupLogging({a.logLevel, "text", ""}); !s) return fail(s.error());
  if (a.gid >= 0 && a.uid < 0) return fail(kt::Error::config("--gid needs --uid"));

  if (auto s = kt::e2e::joinCgroupAndNetns(placementOf(a)); !s) return fail(s.error());
  if (*sidecar) return runSidecar(a, parent);
  if (*server) return runServer(a, parent);
  if (*connect) return runConnect(a);
  if (*dnsCmd) return runDns(a);
  return runExec(a, parent);
}
