#include "support/literals.h"

#include <cstdio>
#include <cstdlib>

namespace kt::testing {

Cidr cidr(const char* text) {
  auto c = Cidr::parse(text);
  if (!c.ok()) {
    std::fprintf(stderr, "bad prefix literal in a test: %s: %s\n", text,
                 c.error().message().c_str());
    std::abort();
  }
  return *c;
}

IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  if (!a.ok()) {
    std::fprintf(stderr, "bad address literal in a test: %s: %s\n", text,
                 a.error().message().c_str());
    std::abort();
  }
  return *a;
}

}  // namespace kt::testing
