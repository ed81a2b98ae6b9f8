// `uninstall` against a real namespace, through the built binary: what --dry-run lists, the
// ::6/128 loopback address (removed only when install added it), Kuma's eBPF uninstall form
// without install-only settings, and --backend naming a backend that is not the installed one.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "support/saved_rules.h"
#include "support/scratch_netns.h"
#include "support/text.h"

namespace kt::testing {
namespace {

class Uninstall : public ::testing::Test {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    auto ns = ScratchNetns::make("uninst");
    ASSERT_TRUE(ns.ok()) << ns.error().message();
    ns_ = std::move(*ns);
    Status link = ns_->addIpv6Interface();
    ASSERT_TRUE(link.ok()) << link.error().message();
  }

  // kuma-tproxy (or its kumactl name) with --netns of the scratch namespace appended.
  sys::ExecResult tproxy(std::vector<std::string> args, const std::string& path = KT_TPROXY_PATH) {
    args.push_back("--netns=" + ns_->path());
    sys::ExecRequest req;
    req.path = path;
    req.args = std::move(args);
    req.timeout = std::chrono::seconds(60);
    auto r = sys::run(req);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return r.ok() ? *r : sys::ExecResult{};
  }

  // `ip -6 addr show dev lo` in the namespace.
  std::string loopbackV6() {
    auto out = ns_->check("ip", {"-6", "-o", "addr", "show", "dev", "lo"});
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message());
    return out.ok() ? *out : "";
  }

  std::unique_ptr<ScratchNetns> ns_;
};

TEST_F(Uninstall, RemovesThePassthroughAddressOnlyWhenInstallAddedIt) {
  auto in = tproxy({"install", "--backend=nftables"});
  ASSERT_TRUE(in.success()) << in.describe();
  ASSERT_TRUE(contains(loopbackV6(), "::6/128")) << loopbackV6();
  auto out = tproxy({"uninstall"});
  ASSERT_TRUE(out.success()) << out.describe();
  EXPECT_FALSE(contains(loopbackV6(), "::6/128")) << loopbackV6();
  EXPECT_TRUE(contains(out.err, "removed ::6/128 from lo")) << out.err;

  // Someone else's ::6 stays, and uninstall says why.
  ASSERT_TRUE(ns_->ip({"addr", "add", "::6/128", "dev", "lo"}).ok());
  in = tproxy({"install", "--backend=iptables-nft"});
  ASSERT_TRUE(in.success()) << in.describe();
  out = tproxy({"uninstall"});
  ASSERT_TRUE(out.success()) << out.describe();
  EXPECT_TRUE(contains(loopbackV6(), "::6/128")) << loopbackV6();
  EXPECT_TRUE(contains(out.err, "::6/128 on lo was not added by kuma-tproxy")) << out.err;
}

TEST_F(Uninstall, DryRunListsWhatWouldGoPerBackendAndFamilyAndChangesNothing) {
  auto in = tproxy({"install", "--backend=iptables-nft"});
  ASSERT_TRUE(in.success()) << in.describe();
  auto before = ns_->check("iptables-nft-save", {});
  ASSERT_TRUE(before.ok());

  auto dry = tproxy({"uninstall", "--dry-run"});
  ASSERT_TRUE(dry.success()) << dry.describe();
  EXPECT_TRUE(contains(dry.out, "# dry-run: uninstall would remove:\n")) << dry.out;
  EXPECT_TRUE(contains(dry.out, "\niptables-nft IPv4: ")) << dry.out;
  EXPECT_TRUE(contains(dry.out, "\niptables-nft IPv6: ")) << dry.out;
  EXPECT_TRUE(contains(dry.out, "\nlo: ::6/128 (added by install)\n")) << dry.out;
  EXPECT_FALSE(contains(dry.out, "nftables IPv4 and IPv6")) << dry.out;

  auto after = ns_->check("iptables-nft-save", {});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(savedRules(*before, "nat"), savedRules(*after, "nat"));
  EXPECT_TRUE(contains(loopbackV6(), "::6/128"));

  ASSERT_TRUE(tproxy({"uninstall"}).success());
  auto empty = tproxy({"uninstall", "--dry-run"});
  EXPECT_TRUE(empty.success()) << empty.describe();
  EXPECT_EQ(empty.out, "");
}

TEST_F(Uninstall, NamedBackendThatIsNotInstalledSaysWhichOneIs) {
  auto in = tproxy({"install", "--backend=nftables"});
  ASSERT_TRUE(in.success()) << in.describe();
  auto out = tproxy({"uninstall", "--backend=iptables"});
  EXPECT_EQ(out.exitCode, 0) << out.describe();
  EXPECT_TRUE(contains(out.err,
                       "nothing of iptables installed; nftables is installed: run `uninstall "
                       "--backend nftables` or `uninstall`"))
      << out.err;
  EXPECT_FALSE(contains(out.err, "completed successfully")) << out.err;
  auto table = ns_->check("nft", {"list", "tables"});
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE(contains(*table, "table inet kuma_mesh")) << *table;
  ASSERT_TRUE(tproxy({"uninstall", "--backend=nftables"}).success());
}

// Kuma's per-node cleanup: `kumactl uninstall transparent-proxy --ebpf-enabled --ebpf-bpffs-path
// P`; no pod IP is needed to remove things.
TEST_F(Uninstall, KumaEbpfFormNeedsNoInstallOnlySettings) {
  // An empty directory as the bpffs: nothing of ours there, so nothing on the node is touched.
  char dir[] = "/tmp/kt-uninst-bpffs-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string kumactl = std::string(KT_TPROXY_DIR) + "/kumactl";
  auto out = tproxy({"uninstall", "transparent-proxy", "--ebpf-enabled", "--ebpf-bpffs-path", dir,
                     "--dry-run", "--verbose"},
                    kumactl);
  EXPECT_EQ(out.exitCode, 0) << out.describe();
  EXPECT_FALSE(contains(out.err, "--ebpf-instance-ip")) << out.err;
  auto plain = tproxy({"uninstall", "--backend=ebpf", std::string("--ebpf-bpffs-path=") + dir});
  EXPECT_EQ(plain.exitCode, 0) << plain.describe();
  EXPECT_FALSE(contains(plain.err, "--ebpf-instance-ip")) << plain.err;
  ::rmdir(dir);
}

}  // namespace
}  // namespace kt::testing
