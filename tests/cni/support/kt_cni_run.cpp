// kt-cni-run: the test container runtime (cni_runtime.h) as a command, for scripts that need a
// real plugin chain outside GoogleTest (scripts/test-images.sh runs the CNI image's plugin with
// it).
//
//   kt-cni-run --conflist FILE --cni-path DIR[:DIR...] --netns PATH --container-id ID
//              [--node-netns PATH] [--args CNI_ARGS] [--ifname IF] [--cache FILE] ADD|CHECK|DEL
//
// One command per run. The plugins run in --node-netns (default: the caller's namespace). ADD
// prints the chain's final result on stdout and stores it in --cache; CHECK and DEL pass the
// stored result as prevResult, as libcni does with its result cache, and a successful DEL removes
// the file. On failure every plugin call (exit code, stdout, stderr) goes to stderr and the exit
// code is 1; 2 for a usage or set-up error.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cni_runtime.h"
#include "sys/fd.h"

namespace {

using nlohmann::json;

int usage(const std::string& why) {
  std::cerr << "kt-cni-run: " << why << "\n";
  return 2;
}

std::optional<json> readJson(const std::string& path, std::string* why) {
  std::ifstream in(path);
  if (!in) {
    *why = "cannot read " + path;
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) {
    *why = path + " is not JSON";
    return std::nullopt;
  }
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  std::string conflistPath, cniPath, nodeNetns, cachePath, command;
  kt::cni::test::Attachment a;
  CLI::App app{"kt-cni-run: run a CNI plugin chain like a container runtime", "kt-cni-run"};
  app.add_option("--conflist", conflistPath, "network configuration list")->required();
  app.add_option("--cni-path", cniPath, "plugin directories, ':'-separated")->required();
  app.add_option("--netns", a.netns, "CNI_NETNS: the pod's network namespace file")->required();
  app.add_option("--container-id", a.containerId, "CNI_CONTAINERID")->required();
  app.add_option("--node-netns", nodeNetns, "network namespace the plugins run in");
  app.add_option("--args", a.args, "CNI_ARGS");
  app.add_option("--ifname", a.ifname, "CNI_IFNAME (default eth0)");
  app.add_option("--cache", cachePath, "file holding the ADD result for CHECK and DEL");
  app.add_option("command", command, "ADD, CHECK or DEL")
      ->required()
      ->check(CLI::IsMember({"ADD", "CHECK", "DEL"}));
  CLI11_PARSE(app, argc, argv);

  std::string why;
  auto conflist = readJson(conflistPath, &why);
  if (!conflist) return usage(why);
  if (!conflist->contains("plugins") || !(*conflist)["plugins"].is_array())
    return usage(conflistPath + " has no plugins list");

  kt::sys::Fd node;
  if (!nodeNetns.empty()) {
    node = kt::sys::Fd(::open(nodeNetns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!node) return usage("cannot open --node-netns " + nodeNetns);
  }
  kt::cni::test::CniRuntime runtime(*conflist, kt::splitList(cniPath, ':'), node.get());
  if (command != "ADD" && !cachePath.empty() && ::access(cachePath.c_str(), F_OK) == 0) {
    auto cached = readJson(cachePath, &why);
    if (!cached) return usage(why);
    runtime.setCachedResult(*cached);
  }

  kt::cni::test::ChainOutcome outcome;
  if (command == "ADD") {
    outcome = runtime.add(a);
  } else if (command == "CHECK") {
    outcome = runtime.check(a);
  } else {
    outcome = runtime.del(a);
  }
  if (!outcome.ok) {
    std::cerr << outcome.describe();
    return 1;
  }
  if (command == "ADD") {
    std::cout << outcome.result.dump() << "\n";
    if (!cachePath.empty()) {
      std::ofstream(cachePath, std::ios::trunc) << outcome.result.dump() << "\n";
    }
  } else if (command == "DEL" && !cachePath.empty()) {
    std::remove(cachePath.c_str());
  }
  return 0;
}
