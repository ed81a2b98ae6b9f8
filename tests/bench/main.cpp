// kt-bench: the measuring tools behind scripts/bench.sh.
//
//   kt-bench [--cgroup DIR] [--netns PATH] [--uid N] SUBCOMMAND ...
//     apply        rule-apply latency in fresh namespaces (apply_timer.h); prints a table
//     conn-server  64-byte echo-and-close server; prints "ready" once listening
//     conn-client  N sequential connections; prints connections per second
//     summarize    table of medians, p90 and paired ratios from a TSV of samples
//     targets      whether performance targets hold on a TSV of samples (targets.h)
// Placement (cgroup, then setns, then uid) works as in kt-e2e (tests/e2e/place/placement.h).
// Tables and numbers go to stdout, logs to stderr.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/logging.h"
#include "apply_timer.h"
#include "base/strings.h"
#include "conn_bench.h"
#include "place/placement.h"
#include "stats.h"
#include "targets.h"

namespace {

using kt::bench::Sample;

int fail(const kt::Error& e) {
  spdlog::error("{}", e.message());
  if (!e.hint().empty()) spdlog::error("hint: {}", e.hint());
  return 1;
}

kt::Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return kt::Error::runtime("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> parseLabels(const std::vector<std::string>& labels) {
  std::map<std::string, std::string> out;
  for (const auto& l : labels) {
    auto eq = l.find('=');
    if (eq != std::string::npos) out[l.substr(0, eq)] = l.substr(eq + 1);
  }
  return out;
}

// Samples as "group<TAB>method<TAB>round<TAB>value" lines, by group.
kt::Result<std::map<std::string, std::vector<Sample>>> readAllSamples(const std::string& path) {
  KT_ASSIGN_OR_RETURN(std::string text, readFile(path));
  std::map<std::string, std::vector<Sample>> groups;
  for (auto line : kt::split(text, '\n')) {
    auto f = kt::split(line, '\t');
    if (f.size() != 4) continue;
    try {
      groups[std::string(f[0])].push_back(
          {std::string(f[1]), std::stoi(std::string(f[2])), std::stod(std::string(f[3]))});
    } catch (const std::exception&) {
      return kt::Error::runtime(path + ": bad sample line: " + std::string(line));
    }
  }
  return groups;
}

kt::Result<std::vector<Sample>> readSamples(const std::string& path, const std::string& group) {
  KT_ASSIGN_OR_RETURN(auto groups, readAllSamples(path));
  auto it = groups.find(group);
  if (it == groups.end()) return kt::Error::runtime(path + ": no samples of group " + group);
  return std::move(it->second);
}

}  // namespace

int main(int argc, char** argv) {
  pid_t parent = ::getppid();
  std::string cgroup, netns, logLevel = "warn";
  int64_t uid = -1;
  // apply
  std::string methodsFile, setupFile, title, rawFile, group = "apply", nsPrefix;
  int reps = 25;
  int settleMs = 30;
  std::vector<std::string> baselines, labels;
  // conn
  uint16_t port = 15001;
  int64_t lifetime = 900;
  std::string to;
  int count = 20000;
  // summarize
  std::string input, unit = "ms";
  bool noP90 = false;
  // targets
  std::vector<std::string> targetSpecs;

  CLI::App app{"kt-bench: measuring tools for scripts/bench.sh", "kt-bench"};
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--cgroup", cgroup, "cgroup v2 directory to join first");
  app.add_option("--netns", netns, "network namespace file to enter");
  app.add_option("--uid", uid, "uid (and gid) to run as");
  app.add_option("--log-level", logLevel);

  auto* apply = app.add_subcommand("apply", "rule-apply latency in fresh namespaces");
  apply->add_option("--methods", methodsFile, "methods file (see apply_timer.h)")->required();
  apply->add_option("--setup", setupFile, "ip -batch file run in every fresh namespace");
  apply->add_option("--reps", reps, "rounds (every method once per round)");
  apply->add_option("--settle-ms", settleMs, "pause after each namespace deletion");
  apply->add_option("--title", title);
  apply->add_option("--baseline", baselines, "method for a ratio column (repeatable)");
  apply->add_option("--raw", rawFile, "append the samples to this TSV file");
  apply->add_option("--group", group, "group name written to the TSV");
  apply->add_option("--ns-prefix", nsPrefix, "namespace name prefix (default ktbench-PID)");

  auto* server = app.add_subcommand("conn-server", "64-byte echo-and-close TCP server");
  server->add_option("--port", port);
  server->add_option("--lifetime", lifetime, "seconds before exiting on its own");

  auto* client = app.add_subcommand("conn-client", "sequential connections, prints conn/s");
  client->add_option("--to", to, "ADDR:PORT or [ADDR]:PORT")->required();
  client->add_option("--count", count);

  auto* summarizeCmd = app.add_subcommand("summarize", "table from a TSV of samples");
  summarizeCmd->add_option("--input", input)->required();
  summarizeCmd->add_option("--group", group)->required();
  summarizeCmd->add_option("--title", title);
  summarizeCmd->add_option("--unit", unit);
  summarizeCmd->add_option("--baseline", baselines);
  summarizeCmd->add_flag("--no-p90", noP90);
  auto* targetsCmd =
      app.add_subcommand("targets", "whether performance targets hold on a TSV of samples");
  targetsCmd->add_option("--input", input)->required();
  targetsCmd->add_option("--target", targetSpecs,
                         "GROUP METHOD [/ BASELINE] <=|<|>= LIMIT (repeatable; default: "
                         "defaultTargets() in targets.h)");
  for (auto* sub : {apply, summarizeCmd, targetsCmd})
    sub->add_option("--label", labels, "NAME=display text (repeatable)");

  CLI11_PARSE(app, argc, argv);
  if (auto s = kt::app::setupLogging({logLevel, "text", ""}); !s) return fail(s.error());

  kt::e2e::Placement place{cgroup, netns, std::nullopt, std::nullopt};
  if (uid >= 0) place.uid = static_cast<uid_t>(uid);
  if (auto s = kt::e2e::joinCgroupAndNetns(place); !s) return fail(s.error());
  if (auto s = kt::e2e::dropPrivileges(place); !s) return fail(s.error());

  if (*apply) {
    auto text = readFile(methodsFile);
    if (!text) return fail(text.error());
    auto methods = kt::bench::parseMethods(*text);
    if (!methods) return fail(methods.error());
    kt::bench::ApplyOptions opt;
    opt.methods = *methods;
    if (!setupFile.empty()) {
      auto setup = readFile(setupFile);
      if (!setup) return fail(setup.error());
      opt.setupBatch = *setup;
    }
    opt.reps = reps;
    opt.settle = std::chrono::milliseconds(settleMs);
    opt.nsPrefix = nsPrefix.empty() ? "ktbench-" + std::to_string(::getpid()) : nsPrefix;
    auto samples = kt::bench::runApplyBench(opt);
    if (!samples) return fail(samples.error());
    if (!rawFile.empty()) {
      std::ofstream raw(rawFile, std::ios::app);
      for (const auto& s : *samples)
        raw << group << '\t' << s.method << '\t' << s.round << '\t' << s.value << '\n';
    }
    auto labelMap = parseLabels(labels);
    for (const auto& m : opt.methods)
      labelMap.emplace(m.name, m.label);
    std::printf("%s",
                kt::bench::formatTable(*samples, {title, "ms", baselines, true}, labelMap).c_str());
    return 0;
  }
  if (*server) {
    if (auto s = kt::e2e::armParentDeathSignal(SIGTERM, parent); !s) return fail(s.error());
    auto s = kt::bench::runConnServer(port, std::chrono::seconds(lifetime), [] {
      std::printf("ready\n");
      std::fflush(stdout);
      return kt::okStatus();
    });
    return s ? 0 : fail(s.error());
  }
  if (*client) {
    auto ep = kt::e2e::parseEndpoint(to);
    if (!ep) return fail(ep.error());
    auto rate = kt::bench::runConnClient(*ep, count);
    if (!rate) return fail(rate.error());
    std::printf("%.0f\n", *rate);
    return 0;
  }
  if (*targetsCmd) {
    auto groups = readAllSamples(input);
    if (!groups) return fail(groups.error());
    std::vector<kt::bench::TargetResult> results;
    if (targetSpecs.empty()) targetSpecs = kt::bench::defaultTargets();
    for (const auto& spec : targetSpecs) {
      auto t = kt::bench::parseTarget(spec);
      if (!t) return fail(t.error());
      results.push_back(kt::bench::evaluate(*t, *groups));
    }
    auto labelMap = parseLabels(labels);
    labelMap.insert(kt::bench::defaultLabels().begin(), kt::bench::defaultLabels().end());
    std::printf("%s", kt::bench::formatTargets(results, labelMap).c_str());
    return 0;
  }
  auto samples = readSamples(input, group);
  if (!samples) return fail(samples.error());
  std::printf(
      "%s", kt::bench::formatTable(*samples, {title, unit, baselines, !noP90}, parseLabels(labels))
                .c_str());
  return 0;
}
