#include "backend/iptables/tools.h"

#include <stdlib.h>

#include <memory>

#include <spdlog/spdlog.h>

#include "sys/exec.h"

namespace kt::backend::iptables {

namespace {

// What the file behind `path` is, by the name of the multi-call binary it resolves to.
std::optional<Mode> modeFromTarget(const std::string& path) {
  std::unique_ptr<char, decltype(&::free)> real(::realpath(path.c_str(), nullptr), &::free);
  if (!real) return std::nullopt;
  std::string_view name(real.get());
  name = name.substr(name.rfind('/') + 1);
  if (name == "xtables-nft-multi") return Mode::kNft;
  if (name == "xtables-legacy-multi") return Mode::kLegacy;
  // Distributions that install the tools as suffixed symlinks to a custom path.
  if (name.find("-nft") != std::string_view::npos) return Mode::kNft;
  if (name.find("-legacy") != std::string_view::npos) return Mode::kLegacy;
  return std::nullopt;
}

Result<Mode> unsuffixedMode(const std::string& path, int* execs) {
  if (auto m = modeFromTarget(path)) return *m;
  sys::ExecRequest req;
  req.path = path;
  req.args = {"--version"};
  req.timeout = std::chrono::seconds(30);
  if (execs) ++*execs;
  KT_ASSIGN_OR_RETURN(auto res, sys::run(req));
  if (auto m = parseVersionMode(res.out + res.err)) return *m;
  return Error(ErrorKind::kNotFound, path + " --version: unrecognized output: " + res.describe());
}

}  // namespace

std::optional<Mode> parseVersionMode(std::string_view output) {
  if (output.find("unrecognized option '--version'") != std::string_view::npos) {
    return Mode::kLegacy;
  }
  auto v = output.find(" v");
  if (v == std::string_view::npos || output.find("tables") == std::string_view::npos) {
    return std::nullopt;
  }
  auto line = output.substr(v, output.find('\n', v) - v);
  if (line.find("(nf_tables)") != std::string_view::npos) return Mode::kNft;
  if (line.find("(legacy)") != std::string_view::npos) return Mode::kLegacy;
  if (line.find('(') == std::string_view::npos) return Mode::kLegacy;
  return std::nullopt;
}

Result<Tools> findTools(Family f, Mode m, int* execs) {
  Tools t;
  t.family = f;
  t.mode = m;
  std::string base = std::string(Tools::prefix(f));
  std::string suffixed = base + "-" + modeName(m);
  auto cmd = sys::findExecutable(suffixed);
  auto save = sys::findExecutable(suffixed + "-save");
  auto restore = sys::findExecutable(suffixed + "-restore");
  if (cmd && save && restore) {
    t.iptables = *cmd;
    t.save = *save;
    t.restore = *restore;
    return t;
  }
  // Unsuffixed tools: accepted only when all three are of mode m.
  std::string* slots[] = {&t.iptables, &t.save, &t.restore};
  const char* suffixes[] = {"", "-save", "-restore"};
  for (int i = 0; i < 3; ++i) {
    auto path = sys::findExecutable(base + suffixes[i]);
    if (!path) {
      return Error(ErrorKind::kNotFound,
                   "no " + suffixed + suffixes[i] + " and no " + base + suffixes[i] + " in PATH");
    }
    auto mode = unsuffixedMode(*path, execs);
    if (!mode) return std::move(mode).takeError();
    if (*mode != m) {
      return Error(ErrorKind::kNotFound,
                   *path + " is iptables-" + modeName(*mode) + ", not iptables-" + modeName(m));
    }
    *slots[i] = *path;
  }
  return t;
}

}  // namespace kt::backend::iptables
