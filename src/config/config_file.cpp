#include "config/config_file.h"

#include <set>

#include "base/strings.h"
#include "config/yaml_util.h"

namespace kt::config {

namespace {

// Keys of Kuma's schema that have no equivalent here. Serialized Kuma configs often carry them
// with empty values, which are accepted; anything else is rejected rather than ignored.
constexpr std::string_view kUnsupportedKumaKeys[] = {
    "redirect.vnet",
    "redirect.inbound.excludePortsForUIDs",
    "storeFirewalld",
    "iptablesExecutables",
};

// Every key a configuration file may hold, for "did you mean ...?" on an unknown one.
const std::vector<std::string>& fileKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const auto& s : settings())
      if (s.inFile) out.emplace_back(s.key);
    return out;
  }();
  return keys;
}

bool isUnsupportedKumaKey(std::string_view path) {
  for (auto k : kUnsupportedKumaKeys)
    if (k == path) return true;
  return false;
}

// null, "", false, [], {} and mappings of those. Depth-limited against alias bombs.
bool isEmptyValue(const YAML::Node& node, int depth = 0) {
  if (depth > 4) return false;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return true;
    case YAML::NodeType::Scalar:
      return node.Scalar().empty() || node.Scalar() == "false";
    case YAML::NodeType::Sequence:
      return node.size() == 0;
    case YAML::NodeType::Map:
      for (const auto& kv : node)
        if (!isEmptyValue(kv.second, depth + 1)) return false;
      return true;
  }
  return false;
}

class Walker {
 public:
  Walker(const std::string& path, Problems& problems) : path_(path), problems_(problems) {}

  std::vector<Assignment> run(const YAML::Node& root) {
    if (root.IsNull()) return {};
    if (!root.IsMap()) {
      fail(yamlLine(root), "",
           "expected a mapping at the top level, got " + std::string(yamlKindName(root)));
      return {};
    }
    section(root, "");
    return std::move(out_);
  }

 private:
  Source source(const std::string& key, int line) const {
    return Source{Source::Kind::kConfigFile, key, path_, line};
  }
  void fail(int line, const std::string& key, const std::string& msg) {
    problems_.add(source(key, line), msg);
  }

  void section(const YAML::Node& map, const std::string& prefix) {
    std::set<std::string, std::less<>> seen;
    for (const auto& kv : map) {
      int line = yamlLine(kv.first);
      if (!kv.first.IsScalar()) {
        fail(line, prefix, "a key is " + std::string(yamlKindName(kv.first)));
        continue;
      }
      std::string key = prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar();
      if (!seen.insert(kv.first.Scalar()).second) {
        fail(line, "", "duplicate key " + safeText(key));
        continue;
      }
      const Setting* s = findSetting(key);
      if (s && s->inFile) {
        leaf(*s, kv.second, key);
      } else if (isConfigSection(key)) {
        if (kv.second.IsNull()) continue;
        if (!kv.second.IsMap()) {
          fail(line, key, "expected a mapping, got " + std::string(yamlKindName(kv.second)));
          continue;
        }
        section(kv.second, key);
      } else if (isUnsupportedKumaKey(key)) {
        if (!isEmptyValue(kv.second)) {
          fail(line, key, "this Kuma setting is not supported by kuma-tproxy; remove it");
        }
      } else {
        fail(line, "", "unknown key " + safeText(key) + didYouMean(key, fileKeys()));
      }
    }
  }

  void leaf(const Setting& s, const YAML::Node& node, const std::string& key) {
    int line = yamlLine(node);
    Assignment a;
    a.setting = &s;
    a.source = source(key, line);
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return;  // `key:` with no value keeps the lower layers' value, as in Kuma
      case YAML::NodeType::Map:
        fail(line, key, "expected a value, got a mapping");
        return;
      case YAML::NodeType::Scalar:
        a.values.push_back(RawValue{node.Scalar(), a.source});
        break;
      case YAML::NodeType::Sequence:
        if (!s.isList()) {
          fail(line, key, "expected a single value, got a list");
          return;
        }
        for (const auto& item : node) {
          if (!item.IsScalar()) {
            fail(yamlLine(item), key,
                 "list items must be values, got " + std::string(yamlKindName(item)));
            continue;
          }
          a.values.push_back(RawValue{item.Scalar(), source(key, yamlLine(item))});
        }
        break;
    }
    out_.push_back(std::move(a));
  }

  const std::string& path_;
  Problems& problems_;
  std::vector<Assignment> out_;
};

}  // namespace

std::vector<Assignment> configFileAssignments(std::string_view text, const std::string& path,
                                              Problems& problems) {
  auto doc = loadYaml(text);
  if (!doc) {
    problems.add(Source{Source::Kind::kConfigFile, "", path, 0},
                 "not valid YAML or JSON: " + doc.error().message());
    return {};
  }
  return Walker(path, problems).run(*doc);
}

}  // namespace kt::config
