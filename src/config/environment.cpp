#include "config/environment.h"

#include "base/strings.h"
#include "config/settings.h"

namespace kt::config {

std::vector<Assignment> environmentAssignments(const Environment& env,
                                               std::vector<std::string>& warnings) {
  std::vector<Assignment> out;
  for (const auto& [name, value] : env) {
    if (!startsWith(name, kEnvPrefix)) continue;
    const Setting* s = findSettingByEnv(name);
    if (!s) {
      warnings.push_back("environment " + safeText(name) + ": unknown variable, ignored");
      continue;
    }
    Assignment a;
    a.setting = s;
    a.source = Source::env(name);
    if (s->kind == ValueKind::kUidExclusions) {
      for (auto& entry : splitList(value, ';'))
        a.values.push_back(RawValue{entry, a.source});
    } else {
      a.values.push_back(RawValue{value, a.source});
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace kt::config
