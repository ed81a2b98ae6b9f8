// Literal prefixes and addresses of test cases, parsed with the product's parsers.
#pragma once

#include "base/net.h"

namespace kt::testing {

// A literal that does not parse is a bug in the test: these print it and abort, which also works
// outside a running test (tables of cases built before main).
Cidr cidr(const char* text);
IpAddress ip(const char* text);

}  // namespace kt::testing
