// The xtables lock held by another program, at the command line (legacy mode): kuma-tproxy
// passes --wait, retries as configured, then fails naming the lock file, with nothing of the
// new rules left; it uses the lock file XTABLES_LOCKFILE names (here a private one, never the
// host's /run/xtables.lock).
#include <gtest/gtest.h>

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "fault_support.h"

namespace kt::testing {
namespace {

using namespace std::chrono_literals;

const BackendCase kLegacy{"iptables-legacy"};

class XtablesLockCli : public ::testing::Test {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    KT_ASSERT_NEW_NETNS(ns_, "xtlock");
    ASSERT_TRUE(ns_->addIpv6Interface().ok());
    ASSERT_TRUE(loadForeignState(*ns_, kLegacy).ok());
    lock_ = tempPath("xtables") + ".lock";
  }
  void TearDown() override {
    if (!lock_.empty()) ::unlink(lock_.c_str());
  }
  std::vector<std::string> install(std::vector<std::string> extra) const {
    std::vector<std::string> args{"install", kLegacy.flag(), "--wait=1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return inNetns(*ns_, args);
  }
  std::unique_ptr<ScratchNetns> ns_;
  std::string lock_;
};

TEST_F(XtablesLockCli, HeldLockFailsAfterTheRetriesNamingTheLockAndChangesNothing) {
  Snapshot before = snapshotState(*ns_, kLegacy);
  FlockHolder holder(lock_);
  auto r = runTproxy(install({"--max-retries=1", "--sleep-between-retries=100ms"}),
                     {{"XTABLES_LOCKFILE", lock_}});
  EXPECT_EQ(r.exitCode, 1) << r.err;
  // Waited (--wait reaches the tool), retried once, gave up, and says which file to look at.
  EXPECT_NE(r.err.find("--wait=1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[1/2]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("will try again in 100 ms"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("failed 2 times"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("xtables lock file " + lock_), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint: another program holds the xtables lock " + lock_), std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "");
  // Nothing half-installed, in either family; the IPv6 passthrough address was taken back.
  EXPECT_EQ(describe(snapshotState(*ns_, kLegacy)), describe(before));
  EXPECT_FALSE(hasPassthroughAddress(*ns_));
}

TEST_F(XtablesLockCli, ALockReleasedBetweenAttemptsIsRetriedToSuccess) {
  FlockHolder holder(lock_);
  std::string log = tempPath("xtlock-log");
  auto run = Spawned::start(KT_TPROXY_BINARY,
                            install({"--max-retries=3", "--sleep-between-retries=100ms"}),
                            {{"XTABLES_LOCKFILE", lock_}}, log);
  ASSERT_TRUE(run.ok()) << run.error().message();
  // The holder lets go once the first attempt has failed: ordering, not timing.
  while (readFile(log).find("will try again") == std::string::npos && !run->exited())
    std::this_thread::sleep_for(5ms);
  holder.release();
  int status = run->waitAll();
  std::string err = readFile(log);
  ::unlink(log.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << err;
  EXPECT_NE(err.find("[1/4]"), std::string::npos) << err;
  auto verify = runTproxy(inNetns(*ns_, {"verify", kLegacy.flag()}), {{"XTABLES_LOCKFILE", lock_}});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
}

TEST_F(XtablesLockCli, HonoursXtablesLockfile) {
  // The lock on another file does not matter: the tools lock the file XTABLES_LOCKFILE names.
  std::string other = lock_ + ".other";
  FlockHolder holder(other);
  auto r = runTproxy(install({"--max-retries=0"}), {{"XTABLES_LOCKFILE", lock_}});
  ::unlink(other.c_str());
  EXPECT_EQ(r.exitCode, 0) << r.err;
  auto installed = snapshotState(*ns_, kLegacy);
  EXPECT_NE(describe(installed).find("KUMA_MESH_OUTBOUND"), std::string::npos);
}

// Runs in the child before exec (async-signal-safe calls only): a mount namespace of its own
// in which /run is read-only, as in an init container with readOnlyRootFilesystem.
bool readOnlyRun(void*) {
  return ::unshare(CLONE_NEWNS) == 0 &&
         ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
         ::mount("/run", "/run", nullptr, MS_BIND | MS_REC, nullptr) == 0 &&
         ::mount(nullptr, "/run", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) == 0;
}

// With /run read-only and no XTABLES_LOCKFILE the legacy tools' lock moves into our private
// lock directory under $TMPDIR, created before the tool opens it: a symbolic link planted in the
// shared directory where the lock used to go ($TMPDIR/xtables.lock) is never followed, so
// nobody chooses what root creates.
TEST_F(XtablesLockCli, ReadOnlyRunMovesTheLockIntoAPrivateDirectory) {
  const std::string tmp = tempPath("rotmp");
  ASSERT_EQ(::mkdir(tmp.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(tmp.c_str(), 01777), 0);  // shared, like /tmp
  const std::string target = tmp + "/created-by-root";
  ASSERT_EQ(::symlink(target.c_str(), (tmp + "/xtables.lock").c_str()), 0);
  const std::string privateDir = tmp + "/kuma-tproxy-0";

  sys::ExecRequest req;
  req.path = KT_TPROXY_BINARY;
  req.args = install({});
  req.env = {{"TMPDIR", tmp}, {"XTABLES_LOCKFILE", ""}};
  req.timeout = std::chrono::minutes(2);
  req.childSetup = &readOnlyRun;
  auto r = sys::run(req);
  struct stat st {};
  bool targetCreated = ::lstat(target.c_str(), &st) == 0;
  bool dirOk =
      ::lstat(privateDir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700;
  ::unlink(target.c_str());
  ::unlink((tmp + "/xtables.lock").c_str());
  ::unlink((privateDir + "/xtables.lock").c_str());
  ::rmdir(privateDir.c_str());
  ::rmdir(tmp.c_str());

  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->exitCode, 0) << r->err;
  EXPECT_NE(r->err.find("legacy iptables tools use the lock file " + privateDir + "/xtables.lock"),
            std::string::npos)
      << r->err;
  EXPECT_FALSE(targetCreated) << "the planted link was followed";
  EXPECT_TRUE(dirOk) << "the private directory is created 0700";
  EXPECT_TRUE(runTproxy(inNetns(*ns_, {"uninstall"})).success());
}

}  // namespace
}  // namespace kt::testing
