// Golden scenarios and their runner: one small file drives every backend's dry-run output, and
// the output must equal the checked-in expected file.
//
// Format (tests/golden/scenarios/<name>.scenario): blank lines and lines starting with '#' are
// ignored; every other line is one install flag (`--name=value` or `--flag`), until a section
// header. `[annotations]` starts Kubernetes annotations, one `key=value` a line (passed as
// --annotation). `[resolv.conf]` starts the content of a resolv.conf that --redirect-dns reads
// (the runner writes it to a temporary file and points redirect.dns.resolvConfigPath at it
// through a generated --config-file, so no host file is read).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sys/exec.h"

namespace kt::golden {

struct Scenario {
  std::string name;
  std::vector<std::string> flags;
  std::vector<std::string> annotations;  // "key=value"
  std::optional<std::string> resolvConf;
};

// Parses a scenario file's text; `error` gets a message for an unknown section.
Scenario parseScenario(const std::string& name, const std::string& text, std::string* error);

// The names of the files in `dir` that end with `suffix` (and are longer), sorted.
std::vector<std::string> filesEndingWith(const std::string& dir, const std::string& suffix);

// The names of `goldenDir`/scenarios/*.scenario, sorted, without the extension.
std::vector<std::string> scenarioNames(const std::string& goldenDir);

// A whole file; `ok` (if given) says whether it could be opened.
std::string readFile(const std::string& path, bool* ok = nullptr);

// Reads and parses <goldenDir>/scenarios/<name>.scenario; `error` as for parseScenario.
Scenario loadScenario(const std::string& goldenDir, const std::string& name, std::string* error);

// The install arguments of a scenario: its flags (with --kuma-dp-user=5678 unless the scenario
// sets the sidecar uid, since the default depends on the host's users), its annotations (as
// --annotation), and for a [resolv.conf] section a --config-file pointing
// redirect.dns.resolvConfigPath at a temporary copy of it. The temporary files live as long as
// the object.
class ScenarioArgs {
 public:
  explicit ScenarioArgs(const Scenario& s);
  ~ScenarioArgs();
  ScenarioArgs(const ScenarioArgs&) = delete;
  ScenarioArgs& operator=(const ScenarioArgs&) = delete;

  const std::vector<std::string>& args() const { return args_; }

 private:
  std::vector<std::string> args_;
  std::vector<std::string> tempFiles_;
};

// `<binary> install --dry-run --backend <backend> <extraArgs...>` followed by the scenario's
// arguments (ScenarioArgs), which live as long as the object.
class DryRun {
 public:
  DryRun(const Scenario& s, const std::string& binary, const std::string& backend,
         const std::vector<std::string>& extraArgs = {});
  DryRun(const DryRun&) = delete;
  DryRun& operator=(const DryRun&) = delete;

  const sys::ExecRequest& request() const { return request_; }

 private:
  ScenarioArgs scenario_;
  sys::ExecRequest request_;
};

// Compares `actual` with <goldenDir>/expected/<file> (a GoogleTest failure names the first
// differing line); with KT_UPDATE_GOLDEN=1 in the environment writes `actual` there instead
// (scripts/update-golden.sh).
void expectMatchesExpected(const std::string& goldenDir, const std::string& file,
                           const std::string& actual);

// A GoogleTest parameter name made of `text`: every character that is not a letter or a digit
// becomes '_'.
std::string testName(std::string text);

}  // namespace kt::golden
