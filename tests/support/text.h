// Text checks for test assertions (header only).
#pragma once

#include <string_view>

namespace kt::testing {

// Whether `needle` occurs in `haystack`.
inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace kt::testing
