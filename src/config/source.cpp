#include "config/source.h"

#include "base/strings.h"

namespace kt::config {

const char* sourceKindName(Source::Kind kind) {
  switch (kind) {
    case Source::Kind::kDefault:
      return "default";
    case Source::Kind::kConfigFile:
      return "config file";
    case Source::Kind::kAnnotation:
      return "annotation";
    case Source::Kind::kEnvironment:
      return "environment";
    case Source::Kind::kFlag:
      return "flag";
  }
  return "?";
}

std::string safeText(std::string_view text) {
  constexpr size_t kMaxPlain = 256;
  bool plain = !text.empty() && text.size() <= kMaxPlain;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '\'' || c == '\\') plain = false;
  }
  return plain ? std::string(text) : quoteForMessage(text);
}

std::string fileLocation(std::string_view file, int line) {
  std::string out = file == "-" ? "<stdin>" : safeText(file);
  if (line > 0) out += ":" + std::to_string(line);
  return out;
}

std::string Source::describe() const {
  switch (kind) {
    case Kind::kDefault:
      return "default";
    case Kind::kFlag:
      return "flag " + safeText(name);
    case Kind::kEnvironment:
      return "environment " + safeText(name);
    case Kind::kAnnotation:
      if (file.empty()) return "annotation " + safeText(name);
      return "annotation " + safeText(name) + " (" + fileLocation(file, line) + ")";
    case Kind::kConfigFile:
      if (name.empty()) return "config file " + fileLocation(file, line);
      return "config file " + fileLocation(file, line) + " (" + safeText(name) + ")";
  }
  return "?";
}

void Problems::add(const Source& where, std::string_view message) {
  add(where.describe() + ": " + std::string(message));
}

void Problems::add(std::string line) {
  ++total_;
  if (lines_.size() < kMaxKept) lines_.push_back(std::move(line));
}

Error Problems::toError() const {
  std::string msg = "invalid configuration (" + std::to_string(total_) +
                    (total_ == 1 ? " problem" : " problems") + "):";
  for (const auto& l : lines_)
    msg += "\n  - " + l;
  if (total_ > lines_.size()) {
    msg += "\n  - ... and " + std::to_string(total_ - lines_.size()) + " more";
  }
  return Error::config(std::move(msg))
      .hint("nothing was changed; correct the values named above and run again");
}

}  // namespace kt::config
