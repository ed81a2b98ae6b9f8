// Assertions on what a connection or DNS query ended with, with messages that show the reply
// line and the exact kt-e2e command (so a failure can be reproduced by hand).
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "harness/scenario.h"
#include "harness/tool.h"
#include "support/scratch_netns.h"

namespace kt {
// gtest prints the parameters of every test: the family's name, not its byte.
inline void PrintTo(Family f, std::ostream* os) {
  *os << familyName(f);
}
}  // namespace kt

namespace kt::e2e {

inline Endpoint ep(const IpAddress& a, uint16_t port) {
  return Endpoint{a, port};
}

// The connection landed on the fake sidecar's `port` and the sidecar recovered `orig` as the
// original destination.
inline ::testing::AssertionResult landsOnSidecar(const Result<Reply>& r, uint16_t port,
                                                 const Endpoint& orig) {
  if (!r) return ::testing::AssertionFailure() << r.error().message();
  if (r->status != Reply::Status::kReply || r->role != "sidecar" ||
      r->field("port") != std::to_string(port) || r->field("orig") != formatEndpoint(orig)) {
    return ::testing::AssertionFailure()
           << "expected the sidecar on port " << port << " with orig=" << formatEndpoint(orig)
           << ", got " << r->describe();
  }
  return ::testing::AssertionSuccess();
}

// The connection reached the server called `name` directly, on `port`.
inline ::testing::AssertionResult reachesServer(const Result<Reply>& r, const std::string& name,
                                                uint16_t port) {
  if (!r) return ::testing::AssertionFailure() << r.error().message();
  if (r->status != Reply::Status::kReply || r->role != "server" || r->field("name") != name ||
      r->field("port") != std::to_string(port)) {
    return ::testing::AssertionFailure() << "expected server " << name << " on port " << port
                                         << " directly, got " << r->describe();
  }
  return ::testing::AssertionSuccess();
}

// The DNS answer is `answer` and, as the application sees it, came from `from`.
inline ::testing::AssertionResult answeredWith(const Result<Reply>& r, const std::string& answer,
                                               const Endpoint& from) {
  if (!r) return ::testing::AssertionFailure() << r.error().message();
  if (r->status != Reply::Status::kReply || r->role != "dns" || r->field("answer") != answer ||
      r->field("from") != formatEndpoint(from)) {
    return ::testing::AssertionFailure() << "expected DNS answer " << answer << " from "
                                         << formatEndpoint(from) << ", got " << r->describe();
  }
  return ::testing::AssertionSuccess();
}

using ::kt::testing::isRoot;

}  // namespace kt::e2e
