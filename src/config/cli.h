// The install flags on a CLI11 (sub)command and the LoadRequest they produce.
//
// Every flag is registered as plain text: CLI11 neither converts nor rejects a value, so that
// the config stage validates all of them and reports every problem of a run together. Boolean
// flags accept `--flag` (= "true") and `--flag=VALUE`; a repeated flag keeps every occurrence in
// command-line order (the config stage adds up list values and lets the last scalar win).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/loader.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace kt::config {

// Which flags a command registers with CLI11. CLI11 compares each new option with every
// earlier one of its command, so registering all ~50 flags cost more CPU time than the rest of
// an nftables install. A run that does not ask for help registers only the flags its arguments
// name: CLI11 then classifies every argument exactly as with all flags registered (a token
// either is the name of a registered option or it is not), so results and errors are the same.
class FlagFilter {
 public:
  // Every flag.
  static FlagFilter all() { return FlagFilter(); }
  // The flags that `args` name as "--name" or "--name=value" (anywhere, values included); every
  // flag when `args` contain -h or --help, whose output lists them all.
  static FlagFilter namedIn(const std::vector<std::string>& args);

  bool wants(std::string_view flag) const;

 private:
  bool all_ = true;
  std::set<std::string, std::less<>> names_;
};

// Flags of settings (settings.h), registered from the settings table.
class SettingFlags {
 public:
  // Registers the setting flags named in `only` (every setting flag when `only` is empty) that
  // `filter` wants on `cmd`. `cmd` must outlive this object.
  explicit SettingFlags(CLI::App& cmd, const std::vector<std::string_view>& only = {},
                        const FlagFilter& filter = FlagFilter::all());
  SettingFlags(const SettingFlags&) = delete;
  SettingFlags& operator=(const SettingFlags&) = delete;

  // After parsing: the flags given, in command-line order.
  std::vector<FlagValue> given() const;

 private:
  CLI::App& cmd_;
  std::map<const CLI::Option*, std::string> names_;  // option -> flag name as registered
};

// Everything `install` (and `verify`) accept: the setting flags plus --config-file,
// --annotations-file, --pod-manifest, --annotation, --verify, --log-level and --log-format.
class InstallFlags {
 public:
  // Registers the flags that `filter` wants; the others read as not given.
  explicit InstallFlags(CLI::App& cmd, const FlagFilter& filter = FlagFilter::all());
  InstallFlags(const InstallFlags&) = delete;
  InstallFlags& operator=(const InstallFlags&) = delete;

  // After parsing: the request without environment and stdin reader (the caller adds those).
  LoadRequest request() const;
  // --verify as given (false when absent); a malformed value is a kConfig error.
  Result<bool> verify() const;
  // --log-level / --log-format when given on this command, else empty.
  std::string logLevel() const;
  std::string logFormat() const;

 private:
  SettingFlags settings_;
  CLI::Option* configFile_ = nullptr;
  CLI::Option* annotationsFile_ = nullptr;
  CLI::Option* podManifest_ = nullptr;
  CLI::Option* annotation_ = nullptr;
  CLI::Option* verify_ = nullptr;
  CLI::Option* logLevel_ = nullptr;
  CLI::Option* logFormat_ = nullptr;
};

}  // namespace kt::config
