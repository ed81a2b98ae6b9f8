#include <gtest/gtest.h>

#include "cni/install/metrics.h"
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

namespace kt::cni {
namespace {

TEST(RepairMetrics, RendersEveryMetricWithHelpAndType) {
  MetricsSnapshot m;
  m.ready = true;
  m.repairEnabled = true;
  m.repair.passes = 4;
  m.repair.podsChecked = 7;
  m.repair.repairs = 2;
  m.repair.failures = 1;
  m.repair.lastDurationSeconds = 0.0125;
  std::string text = renderMetrics(m);
  for (const char* line :
       {"kuma_cni_install_ready 1\n", "kuma_cni_repair_enabled 1\n",
        "kuma_cni_repair_reconciles_total 4\n", "kuma_cni_repair_pods_checked_total 7\n",
        "kuma_cni_repair_repairs_total 2\n", "kuma_cni_repair_failures_total 1\n",
        "kuma_cni_repair_last_reconcile_duration_seconds 0.012500\n",
        "# TYPE kuma_cni_repair_repairs_total counter\n",
        "# TYPE kuma_cni_install_ready gauge\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
  EXPECT_NE(renderMetrics({}).find("kuma_cni_install_ready 0\n"), std::string::npos);
}

TEST(RepairMetrics, RejectsMalformedAddresses) {
  for (const char* bad : {"15014", "localhost:15014", "127.0.0.1:", "127.0.0.1:99999", "[::1:1"})
    EXPECT_FALSE(MetricsListener::listen(bad).ok()) << bad;
  auto ok = MetricsListener::listen("127.0.0.1:0");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_GT(ok->port(), 0);
}

}  // namespace
}  // namespace kt::cni
