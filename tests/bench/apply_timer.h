// The rule-apply timer (perf-baselines.md part A's method): for every sample a fresh network
// namespace is created and prepared (not timed), then fork + setns + exec + wait of each command
// of the method is timed with CLOCK_MONOTONIC, then the namespace is deleted and the kernel
// given time to settle (not timed). Methods run once per round, in an order that rotates every
// round, so ratios between methods can be paired by round.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"
#include "stats.h"

namespace kt::bench {

struct Command {
  std::string path;  // resolved executable
  std::vector<std::string> args;
  std::string stdinFile;  // empty = /dev/null
};

struct Method {
  std::string name;              // short id used for ratios
  std::string label;             // what the table shows
  std::vector<Command> prepare;  // run before every sample, in its namespace, not timed
  std::vector<Command> commands;
};

// Parses a methods file:
//   # comment
//   method NAME LABEL WORDS...
//   prepare PROGRAM ARGS... [< FILE]   (untimed, before each sample: e.g. reset node-wide state)
//   run PROGRAM ARGS... [< FILE]
// Programs are resolved like sys::findExecutable. Whitespace separates words; no quoting.
Result<std::vector<Method>> parseMethods(const std::string& text);

struct ApplyOptions {
  std::vector<Method> methods;
  std::string setupBatch;  // `ip -batch` commands run in every fresh namespace before timing
  int reps = 25;
  std::chrono::milliseconds settle{30};
  std::string nsPrefix;  // namespace names: <nsPrefix>-<n>
};

// Runs every method once, untimed, in its own fresh namespace and fails with the command's
// stderr if any command fails; then the timed rounds. Returns one Sample (ms) per method and
// round.
Result<std::vector<Sample>> runApplyBench(const ApplyOptions& opt);

}  // namespace kt::bench
