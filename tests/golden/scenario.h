// Golden scenarios: one small file drives every backend's dry-run output.
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

namespace kt::golden {

struct Scenario {
  std::string name;
  std::vector<std::string> flags;
  std::vector<std::string> annotations;  // "key=value"
  std::optional<std::string> resolvConf;
};

// Parses a scenario file's text; `error` gets a message for an unknown section.
Scenario parseScenario(const std::string& name, const std::string& text, std::string* error);

// The names of `goldenDir`/scenarios/*.scenario, sorted, without the extension.
std::vector<std::string> scenarioNames(const std::string& goldenDir);

// A whole file; `ok` (if given) says whether it could be opened.
std::string readFile(const std::string& path, bool* ok = nullptr);

}  // namespace kt::golden
