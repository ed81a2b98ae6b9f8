#include <gtest/gtest.h>

#include "cni/install/repair.h"

namespace kt::cni {
namespace {

using std::chrono::milliseconds;

TEST(RepairBackoff, DoublesFromTheIntervalUpToTheCeiling) {
  EXPECT_EQ(podBackoff(milliseconds(200), 1), milliseconds(200));
  EXPECT_EQ(podBackoff(milliseconds(200), 2), milliseconds(400));
  EXPECT_EQ(podBackoff(milliseconds(200), 4), milliseconds(1600));
  EXPECT_EQ(podBackoff(milliseconds(10000), 10), kMaxPodBackoff);
  EXPECT_EQ(podBackoff(milliseconds(10000), 4000000000u), kMaxPodBackoff);
}

TEST(RepairMake, NeedsTheNodeName) {
  InstallConfig cfg;
  auto r = Repairer::make(cfg, NetConf{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("NODE_NAME"), std::string::npos);
  cfg.nodeName = "node-1";
  EXPECT_TRUE(Repairer::make(cfg, NetConf{}).ok());
}

}  // namespace
}  // namespace kt::cni
