// Byte positions of values inside JSON text, so a file can be edited in place: we splice our
// entry into another component's conflist and every byte we do not own stays as it was
// (formatting, key order, number spelling). nlohmann's parser gives no positions, hence this
// small scanner.
//
// The scanner assumes syntactically valid JSON (callers parse the text with nlohmann first) but
// never reads out of bounds on invalid input: it returns a kRuntime error instead.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kt::cni {

struct TextSpan {
  size_t begin = 0;  // first byte of the value
  size_t end = 0;    // one past its last byte
};

// The top-level value, without surrounding blanks.
Result<TextSpan> rootValue(std::string_view text);
// The value of member `key` of the object at `object` (the last one when the key repeats, as
// nlohmann keeps the last); nullopt when absent.
Result<std::optional<TextSpan>> findMember(std::string_view text, TextSpan object,
                                           std::string_view key);
// The elements of the array at `array`, in order.
Result<std::vector<TextSpan>> arrayElements(std::string_view text, TextSpan array);

}  // namespace kt::cni
