#include "harness/topology.h"

#include "harness/names.h"

namespace kt::e2e {

namespace {

IpAddress parsed(const char* text) {
  return IpAddress::parse(text).value();
}

}  // namespace

IpAddress Topology::podAddr(Family f) {
  return parsed(f == Family::kV4 ? "10.0.0.1" : "fd00::1");
}
IpAddress Topology::peerAddr(Family f) {
  return parsed(f == Family::kV4 ? "10.0.0.2" : "fd00::2");
}
IpAddress Topology::peerAltAddr(Family f) {
  return parsed(f == Family::kV4 ? "10.0.0.3" : "fd00::3");
}

Result<std::unique_ptr<Topology>> Topology::make(const std::string& tag) {
  KT_ASSIGN_OR_RETURN(auto pod, ScratchNetns::named(uniqueName(tag + "-pod")));
  KT_ASSIGN_OR_RETURN(auto peer, ScratchNetns::named(uniqueName(tag + "-peer")));
  std::unique_ptr<Topology> t(new Topology(std::move(pod), std::move(peer)));
  // Created from inside the pod namespace, with the other end placed straight into the peer.
  // Distinct interface indexes matter: with both ends at index 2 (the first free index of a
  // fresh namespace), linkwatch takes the veth for a non-stacked device and handles its carrier
  // change as a non-urgent event, up to a second late; until then IPv6 drops incoming neighbour
  // solicitations and the first IPv6 connection of a test stalls for a SYN retransmit.
  KT_TRY(t->pod_->ipBatch("link add eth0 index 11 type veth peer name eth0 index 12 netns " +
                          t->peer_->name() +
                          "\n"
                          "addr add 10.0.0.1/24 dev eth0\n"
                          "addr add fd00::1/64 dev eth0 nodad\n"
                          "link set eth0 up\n"));
  KT_TRY(
      t->peer_->ipBatch("addr add 10.0.0.2/24 dev eth0\n"
                        "addr add 10.0.0.3/24 dev eth0\n"
                        "addr add fd00::2/64 dev eth0 nodad\n"
                        "addr add fd00::3/64 dev eth0 nodad\n"
                        "link set eth0 up\n"));
  return t;
}

}  // namespace kt::e2e
