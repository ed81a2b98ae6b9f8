#include "config/yaml_util.h"

#include "base/strings.h"

namespace kt::config {

Result<YAML::Node> loadYaml(std::string_view text) {
  // yaml-cpp reports errors only as exceptions; they stop here. It copies input bytes into some
  // messages ("unknown escape character: <byte>"): control bytes are escaped so that a hostile
  // document cannot put raw line breaks or terminal escapes into our error output.
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Error::config("line " + std::to_string(e.mark.line + 1) + ", column " +
                         std::to_string(e.mark.column + 1) + ": " + escapeControl(e.msg));
  } catch (const std::exception& e) {
    return Error::config("cannot be parsed: " + escapeControl(e.what()));
  }
}

int yamlLine(const YAML::Node& node) {
  auto mark = node.Mark();
  return mark.line < 0 ? 0 : mark.line + 1;
}

const char* yamlKindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a value";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "null";
  }
  return "?";
}

}  // namespace kt::config
