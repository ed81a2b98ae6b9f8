// Decoding of Go double-quoted string literals (strconv.Quote output), as written by the
// Kubernetes downward API into the `annotations` file.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace kt::config {

// `quoted` must be a whole literal: '"', then characters and escapes, then '"'. Accepted
// escapes: \a \b \f \n \r \t \v \\ \" \xHH \NNN (octal, <= \377) \uHHHH \UHHHHHHHH (valid
// Unicode scalar values, encoded as UTF-8). A raw newline or an unescaped '"' inside is an
// error. The message names the problem, not the whole value.
Result<std::string> unquoteGo(std::string_view quoted);

}  // namespace kt::config
