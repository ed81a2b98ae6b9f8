#include "cni/json_parse.h"

#include <string>

namespace kt::cni {

namespace {

// Thrown from the parser callback to stop at the first level too deep; never leaves this file.
struct TooDeep {};

template <class Json>
Result<Json> parseLimited(std::string_view text, std::string_view what) {
  // The callback sees each object/array start with the depth of its parent (0 for the root), so
  // the element it opens sits at depth + 1.
  auto limit = [](int depth, nlohmann::json::parse_event_t event, Json&) {
    if ((event == nlohmann::json::parse_event_t::object_start ||
         event == nlohmann::json::parse_event_t::array_start) &&
        static_cast<size_t>(depth) + 1 > kMaxJsonDepth) {
      throw TooDeep{};
    }
    return true;
  };
  try {
    return Json::parse(text, limit);
  } catch (const TooDeep&) {
    return Error::config(std::string(what) + " nests deeper than " + std::to_string(kMaxJsonDepth) +
                         " levels");
  } catch (const nlohmann::json::exception& e) {
    // The exception text names the position and the unexpected token, never more of the input
    // than that token.
    return Error::config(std::string(what) + " is not valid JSON: " + e.what());
  }
}

}  // namespace

Result<nlohmann::json> parseJson(std::string_view text, std::string_view what) {
  return parseLimited<nlohmann::json>(text, what);
}

Result<nlohmann::ordered_json> parseOrderedJson(std::string_view text, std::string_view what) {
  return parseLimited<nlohmann::ordered_json>(text, what);
}

}  // namespace kt::cni
