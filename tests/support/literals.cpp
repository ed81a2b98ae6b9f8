#include "support/literals.h"

#include <cstdio>
#include <cstdlib>

namespace kt::testing {

namespace {

template <class T>
T parseLiteral(const char* what, const char* text) {
  auto v = T::parse(text);
  if (!v.ok()) {
    std::fprintf(stderr, "bad %s literal in a test: %s: %s\n", what, text,
                 v.error().message().c_str());
    std::abort();
  }
  return *v;
}

}  // namespace

Cidr cidr(const char* text) {
  return parseLiteral<Cidr>("prefix", text);
}

IpAddress ip(const char* text) {
  return parseLiteral<IpAddress>("address", text);
}

}  // namespace kt::testing
