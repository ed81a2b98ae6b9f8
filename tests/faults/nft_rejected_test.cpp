// The nftables batch rejected by the kernel, provoked legitimately at the command line: another
// program owns `table inet kuma_mesh` (NFT_TABLE_F_OWNER, as firewall daemons create their
// tables), and the kernel refuses every change to it from anyone else. Nothing is applied, the
// error names the table and why, and once the owner is gone the install goes through. (The
// rule-level rejection, with the offending rule named, is tests/nftables' NftRejected, which
// needs a plan the configuration cannot produce.)
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <gtest/gtest.h>

#include "backend/nftables/nft_netlink.h"
#include "backend/nftables/nft_objects.h"
#include "fault_support.h"

namespace kt::testing {
namespace {

using backend::nftables::Batch;
using backend::nftables::NftSocket;

const BackendCase kNft{"nftables"};

// Creates `table inet kuma_mesh { flags owner; chain held {} }` owned by the returned socket:
// the table lives as long as the socket is open.
Result<NftSocket> ownTable(ScratchNetns& ns) {
  KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(ns.path()));
  KT_ASSIGN_OR_RETURN(auto sock, NftSocket::open());
  backend::nftables::TablePtr table(nftnl_table_alloc());
  nftnl_table_set_str(table.get(), NFTNL_TABLE_NAME, "kuma_mesh");
  nftnl_table_set_u32(table.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  nftnl_table_set_u32(table.get(), NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
  backend::nftables::ChainPtr chain(nftnl_chain_alloc());
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, "kuma_mesh");
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_NAME, "held");
  Batch b(sock.nextSeq());
  b.add(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, "table",
        [&](nlmsghdr* nlh) { nftnl_table_nlmsg_build_payload(nlh, table.get()); });
  b.add(NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, "chain",
        [&](nlmsghdr* nlh) { nftnl_chain_nlmsg_build_payload(nlh, chain.get()); });
  b.finish();
  KT_TRY(sock.commit(b));
  return sock;
}

TEST(NftRejectedCli, TableOwnedByAnotherProgramIsLeftAloneAndNamed) {
  KT_REQUIRE_ROOT();
  auto ns = ScratchNetns::make("nftown");
  ASSERT_TRUE(ns.ok()) << ns.error().message();
  ASSERT_TRUE((*ns)->addIpv6Interface().ok());
  ASSERT_TRUE(loadForeignState(**ns, kNft).ok());
  auto owner = std::make_unique<Result<NftSocket>>(ownTable(**ns));
  ASSERT_TRUE(owner->ok()) << owner->error().message();
  Snapshot before = snapshotState(**ns, kNft);
  ASSERT_NE(before["ruleset"].find("flags owner"), std::string::npos) << before["ruleset"];

  auto r = runTproxy(inNetns(**ns, {"install", kNft.flag(), "--redirect-all-dns-traffic"}));
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_NE(r.err.find("table inet kuma_mesh is owned by another program"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  // Not the generic "needs CAP_NET_ADMIN" hint: this process has it.
  EXPECT_EQ(r.err.find("CAP_NET_ADMIN"), std::string::npos) << r.err;
  EXPECT_EQ(describe(snapshotState(**ns, kNft)), describe(before));

  // verify explains the difference; uninstall cannot remove the table either, and says why.
  auto verify = runTproxy(inNetns(**ns, {"verify", kNft.flag(), "--redirect-all-dns-traffic"}));
  EXPECT_EQ(verify.exitCode, 1);
  EXPECT_NE(verify.out.find("owned by netlink port"), std::string::npos) << verify.out;
  auto un = runTproxy(inNetns(**ns, {"uninstall", kNft.flag()}));
  EXPECT_EQ(un.exitCode, 1) << un.err;
  EXPECT_NE(un.err.find("owned by another program"), std::string::npos) << un.err;
  EXPECT_EQ(describe(snapshotState(**ns, kNft)), describe(before));

  // The owner exits: the kernel drops its table, and the install goes through.
  owner.reset();
  auto again = runTproxy(inNetns(**ns, {"install", kNft.flag(), "--redirect-all-dns-traffic"}));
  EXPECT_EQ(again.exitCode, 0) << again.err;
  auto ok = runTproxy(inNetns(**ns, {"verify", kNft.flag(), "--redirect-all-dns-traffic"}));
  EXPECT_EQ(ok.exitCode, 0) << ok.out << ok.err;
}

// One layer per namespace: installing iptables-nft must remove our nftables table. When that
// removal fails (the table is owned by another program), the new iptables layer is undone too,
// so the namespace is left as it was, and the error says what is left.
TEST(NftRejectedCli, BackendSwitchUndoneWhenTheOldLayerCannotBeRemoved) {
  KT_REQUIRE_ROOT();
  auto ns = ScratchNetns::make("nftswitch");
  ASSERT_TRUE(ns.ok()) << ns.error().message();
  ASSERT_TRUE((*ns)->addIpv6Interface().ok());
  auto owner = std::make_unique<Result<NftSocket>>(ownTable(**ns));
  ASSERT_TRUE(owner->ok()) << owner->error().message();

  auto r = runTproxy(inNetns(**ns, {"install", "--backend=iptables-nft"}));
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_NE(r.err.find("removing the nftables (IPv4 and IPv6: table inet kuma_mesh) "
                       "interception left from before"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("the iptables-nft install was undone"), std::string::npos) << r.err;
  for (const char* save : {"iptables-nft-save", "ip6tables-nft-save"}) {
    auto text = (*ns)->check(save, {});
    ASSERT_TRUE(text.ok()) << text.error().message();
    EXPECT_EQ(text->find("KUMA_MESH"), std::string::npos) << save << ":\n" << *text;
  }

  // Once the owner is gone the switch goes through and leaves only the iptables layer.
  owner.reset();
  auto again = runTproxy(inNetns(**ns, {"install", "--backend=iptables-nft"}));
  EXPECT_EQ(again.exitCode, 0) << again.err;
  auto ok = runTproxy(inNetns(**ns, {"verify", "--backend=iptables-nft"}));
  EXPECT_EQ(ok.exitCode, 0) << ok.out << ok.err;
  EXPECT_EQ(runTproxy(inNetns(**ns, {"uninstall"})).exitCode, 0);
}

}  // namespace
}  // namespace kt::testing
