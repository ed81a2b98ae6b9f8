// The network of one test: a "pod" namespace (the one kuma-tproxy configures) and a "peer"
// namespace (another host), joined by a veth pair named eth0 on both sides:
//
//   pod   eth0 10.0.0.1/24  fd00::1/64                      (lo up)
//   peer  eth0 10.0.0.2/24  fd00::2/64, also 10.0.0.3 and fd00::3 (an excluded destination)
//
// IPv6 addresses are added with nodad so they are usable at once. Both ends are created directly
// inside their namespaces, so the fixed names never collide between parallel tests.
#pragma once

#include <memory>
#include <string>

#include "base/net.h"
#include "base/result.h"
#include "harness/netns.h"

namespace kt::e2e {

class Topology {
 public:
  // Creates both namespaces (uniqueName(tag + "-pod"/"-peer")) and the link.
  static Result<std::unique_ptr<Topology>> make(const std::string& tag);

  const ScratchNetns& pod() const { return *pod_; }
  const ScratchNetns& peer() const { return *peer_; }

  static IpAddress podAddr(Family f);      // 10.0.0.1 / fd00::1
  static IpAddress peerAddr(Family f);     // 10.0.0.2 / fd00::2
  static IpAddress peerAltAddr(Family f);  // 10.0.0.3 / fd00::3

 private:
  Topology(std::unique_ptr<ScratchNetns> pod, std::unique_ptr<ScratchNetns> peer)
      : pod_(std::move(pod)), peer_(std::move(peer)) {}
  std::unique_ptr<ScratchNetns> pod_;
  std::unique_ptr<ScratchNetns> peer_;
};

}  // namespace kt::e2e
