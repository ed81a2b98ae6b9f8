// The settings of the CNI side in one place: the plugin's environment, the network
// configuration keys and the installer's environment, each with its default and meaning.
// `kuma-tproxy cni --help` and `cni-install --help` print these tables, and docs/cni.md holds
// the same tables rendered as markdown (a unit test compares them), so help and documentation
// cannot drift apart. A setting added to the parsers gets a row here.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace kt::cni {

struct SettingRow {
  const char* name;
  // A literal default value, or prose in parentheses ("(required)", "(none)"): literals are
  // rendered as code in markdown, prose as text.
  const char* defaultValue;
  const char* meaning;
};

struct SettingTable {
  const char* id;  // the marker of its section in docs/cni.md
  const char* title;
  std::span<const SettingRow> rows;
};

// The plugin's CNI_* variables, the network configuration keys (stdin), the installer's
// variables.
const SettingTable& pluginEnvironment();
const SettingTable& networkConfigKeys();
const SettingTable& installerEnvironment();

// Plain text for --help: the title, then each setting with its default and meaning.
std::string renderHelp(const SettingTable& table);
// The markdown table docs/cni.md holds between "<!-- settings:ID -->" and
// "<!-- end settings:ID -->" (header row included, one line per setting).
std::string renderMarkdown(const SettingTable& table);

}  // namespace kt::cni
