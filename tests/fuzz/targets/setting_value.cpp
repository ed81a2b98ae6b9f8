// Every setting's value grammar (booleans, ports, numbers, durations, users, paths, interface
// names, variable names, addresses, modes, backends). The input is `<setting key>\n<text>`; a
// first line that is not a key picks a setting by its byte sum, so every input tests one. Accepted
// values must show as canonical text that parses back to the same value; rejected ones give a
// readable kConfig error.
#include "config/settings.h"
#include "config/values.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  auto input = fuzz::asText(data, size);
  auto nl = input.find('\n');
  if (nl == std::string_view::npos) return 0;
  auto key = input.substr(0, nl);
  std::string text(input.substr(nl + 1));
  const config::Setting* found = config::findSetting(key);
  if (!found) {
    const auto& all = config::settings();
    size_t sum = 0;
    for (char c : key)
      sum += static_cast<unsigned char>(c);
    found = &all[sum % all.size()];
  }
  const config::Setting& s = *found;

  auto v = config::parseSettingValue(s, text);
  if (!v) {
    fuzz::checkConfigError(v.error());
  } else {
    config::SettingTarget cfg;
    s.apply(cfg, *v);
    std::string shown = s.show(cfg);
    auto back = config::parseSettingValue(s, shown);
    if (!back) fuzz::fail("canonical text does not parse", std::string(s.key) + " = " + shown);
    config::SettingTarget again;
    s.apply(again, *back);
    if (s.show(again) != shown) fuzz::fail("canonical text does not round-trip", shown);
  }

  // Durations on their own: Go's syntax, at most the limit, whole milliseconds.
  if (auto d = config::parseGoDuration(text)) {
    if (d->count() < 0 || *d > config::kMaxSleepBetweenRetries) fuzz::fail("duration range");
    auto back = config::parseGoDuration(config::formatGoDuration(*d));
    if (!back || *back != *d) fuzz::fail("duration text round trip", config::formatGoDuration(*d));
  }
  return 0;
}
