// The per-namespace lock on its own (no privileges: it locks the test's current namespace with
// lock files in a private temporary directory).
#include "sys/netns_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/prctl.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace kt::sys {
namespace {

using namespace std::chrono_literals;

class NetnsLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/kt-faults-lockdir-" + std::to_string(::getpid());
    ::mkdir(dir_.c_str(), 0700);
  }
  void TearDown() override {
    // Whatever a failed test left behind.
    struct stat st {};
    ASSERT_EQ(::stat("/proc/thread-self/ns/net", &st), 0);
    ::unlink((dir_ + "/" + lockFileName(st.st_dev, st.st_ino)).c_str());
    ::rmdir(dir_.c_str());
  }
  NetnsLockOptions options(std::chrono::milliseconds timeout = 5s) const {
    NetnsLockOptions o;
    o.directory = dir_;
    o.timeout = timeout;
    return o;
  }
  static bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  }
  std::string dir_;
};

TEST(NetnsLockDirectories, PreferRunThenPrivateDirectoriesInTheFallbacks) {
  EXPECT_EQ(lockDirectories(nullptr, nullptr, 0),
            (std::vector<std::string>{"/run/kuma-tproxy", "/tmp/kuma-tproxy-0"}));
  // Kuma's init container: read-only root, XTABLES_LOCKFILE on the /tmp emptyDir.
  EXPECT_EQ(lockDirectories("/tmp/xtables.lock", nullptr, 0),
            (std::vector<std::string>{"/run/kuma-tproxy", "/tmp/kuma-tproxy-0"}));
  EXPECT_EQ(lockDirectories("/scratch/locks/xtables.lock", "/var/tmp/", 1000),
            (std::vector<std::string>{"/run/kuma-tproxy", "/scratch/locks/kuma-tproxy-1000",
                                      "/var/tmp/kuma-tproxy-1000", "/tmp/kuma-tproxy-1000"}));
  // Relative paths would depend on the working directory of each run.
  EXPECT_EQ(lockDirectories("xtables.lock", "tmp", 0),
            (std::vector<std::string>{"/run/kuma-tproxy", "/tmp/kuma-tproxy-0"}));
  EXPECT_EQ(lockDirectories("/xtables.lock", nullptr, 0),
            (std::vector<std::string>{"/run/kuma-tproxy", "/kuma-tproxy-0", "/tmp/kuma-tproxy-0"}));
}

TEST(NetnsLockDirectories, FileNamedByTheNamespaceInode) {
  EXPECT_EQ(lockFileName(4, 4026531840), "netns-4-4026531840.lock");
}

TEST_F(NetnsLockTest, SecondHolderTimesOutNamingTheFileAndTheHolder) {
  auto first = NetnsLock::acquire(options());
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_TRUE(exists(first->path()));
  EXPECT_EQ(first->path().rfind(dir_ + "/netns-", 0), 0u) << first->path();

  auto second = NetnsLock::acquire(options(30ms));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind(), ErrorKind::kTransient);
  const std::string msg = second.error().message();
  EXPECT_NE(msg.find(first->path()), std::string::npos) << msg;
  EXPECT_NE(msg.find("taken by pid " + std::to_string(::getpid())), std::string::npos) << msg;
  EXPECT_FALSE(second.error().hint().empty());
}

TEST_F(NetnsLockTest, ReleaseRemovesTheFileAndLetsTheNextOneIn) {
  std::string path;
  {
    auto first = NetnsLock::acquire(options());
    ASSERT_TRUE(first.ok()) << first.error().message();
    path = first->path();
  }
  EXPECT_FALSE(exists(path)) << "the holder unlinks its file";
  auto again = NetnsLock::acquire(options(30ms));
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->path(), path);
}

// Sets a flag when a log line contains a text (the lock announces that it waits).
class LogWatch {
 public:
  explicit LogWatch(std::string text) : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<Sink>(std::move(text), &seen_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("watch", sink));
  }
  ~LogWatch() { spdlog::set_default_logger(previous_); }
  bool seen() const { return seen_; }

 private:
  class Sink : public spdlog::sinks::base_sink<std::mutex> {
   public:
    Sink(std::string text, std::atomic<bool>* seen) : text_(std::move(text)), seen_(seen) {}

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      if (std::string_view(msg.payload.data(), msg.payload.size()).find(text_) !=
          std::string_view::npos) {
        *seen_ = true;
      }
    }
    void flush_() override {}

   private:
    std::string text_;
    std::atomic<bool>* seen_;
  };
  std::shared_ptr<spdlog::logger> previous_;
  std::atomic<bool> seen_{false};
};

TEST_F(NetnsLockTest, AWaiterGetsTheLockWhenTheHolderLetsGo) {
  auto first = std::make_unique<Result<NetnsLock>>(NetnsLock::acquire(options()));
  ASSERT_TRUE(first->ok());
  std::string path = (*first)->path();
  // The waiter opened the file before the holder unlinks it: it must notice and lock the file
  // that is linked afterwards, so that a third run cannot hold the lock at the same time.
  LogWatch watch("waiting for the lock");
  std::optional<Result<NetnsLock>> waited;
  std::thread waiter([&] { waited.emplace(NetnsLock::acquire(options(60s))); });
  while (!watch.seen())
    std::this_thread::sleep_for(1ms);
  first.reset();
  waiter.join();
  ASSERT_TRUE(waited->ok()) << waited->error().message();
  EXPECT_TRUE(exists(path)) << "the waiter holds a linked file";
  auto third = NetnsLock::acquire(options(30ms));
  EXPECT_FALSE(third.ok()) << "two holders at once";
}

TEST_F(NetnsLockTest, SameNamespaceByPathOrByThread) {
  auto byThread = NetnsLock::acquire(options());
  ASSERT_TRUE(byThread.ok());
  NetnsLockOptions o = options(30ms);
  o.netnsPath = "/proc/self/ns/net";
  auto byPath = NetnsLock::acquire(o);
  ASSERT_FALSE(byPath.ok()) << "one namespace, one lock, whatever path names it";
}

// A run killed while a tool it started still works: the tool inherited the descriptor and
// keeps the namespace locked until it exits.
TEST_F(NetnsLockTest, AnOrphanedChildKeepsTheLock) {
  // The orphan is reparented to this process, which can then reap it.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t run = ::fork();
  ASSERT_GE(run, 0);
  if (run == 0) {
    ::close(ready[0]);
    auto lock = NetnsLock::acquire(options());
    if (!lock) ::_exit(1);
    pid_t tool = ::fork();
    if (tool == 0) {
      ::close(ready[1]);
      for (;;)
        ::pause();
    }
    // Tell the test which process holds the lock now, then die without releasing it.
    ssize_t ignored = ::write(ready[1], &tool, sizeof tool);
    (void)ignored;
    ::kill(::getpid(), SIGKILL);
  }
  ::close(ready[1]);
  pid_t tool = -1;
  ASSERT_EQ(::read(ready[0], &tool, sizeof tool), static_cast<ssize_t>(sizeof tool));
  ::close(ready[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(run, &status, 0), run);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto blocked = NetnsLock::acquire(options(30ms));
  ASSERT_FALSE(blocked.ok()) << "the orphan holds the lock";
  EXPECT_NE(blocked.error().message().find("which has exited"), std::string::npos)
      << blocked.error().message();

  ::kill(tool, SIGKILL);
  ASSERT_EQ(::waitpid(tool, &status, 0), tool);
  auto free = NetnsLock::acquire(options());
  ASSERT_TRUE(free.ok()) << free.error().message();
}

std::string currentLockName() {
  struct stat st {};
  ::stat("/proc/thread-self/ns/net", &st);
  return lockFileName(st.st_dev, st.st_ino);
}

TEST_F(NetnsLockTest, CreatesAPrivateDirectory) {
  NetnsLockOptions o = options();
  o.directory = dir_ + "/made";
  {
    auto lock = NetnsLock::acquire(o);
    ASSERT_TRUE(lock.ok()) << lock.error().message();
    struct stat st {};
    ASSERT_EQ(::lstat(o.directory.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_EQ(st.st_uid, ::geteuid());
    ASSERT_EQ(::stat(lock->path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  EXPECT_EQ(::rmdir(o.directory.c_str()), 0);
}

// A symbolic link planted at the predictable file name: refused at once, never followed, and
// not a reason to go ahead without the lock.
TEST_F(NetnsLockTest, SymlinkAtTheLockPathIsRefused) {
  const std::string victim = dir_ + "/victim";
  const std::string link = dir_ + "/" + currentLockName();
  ASSERT_EQ(::symlink(victim.c_str(), link.c_str()), 0);
  auto lock = NetnsLock::acquire(options(60s));
  ::unlink(link.c_str());
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().kind(), ErrorKind::kPermission);
  EXPECT_NE(lock.error().message().find("refusing lock file " + link + ": it is a symbolic link"),
            std::string::npos)
      << lock.error().message();
  EXPECT_FALSE(exists(victim)) << "the link was followed";
}

// The directory itself may be a link or shared with others: refused as well.
TEST_F(NetnsLockTest, UnsafeDirectoriesAreRefused) {
  NetnsLockOptions o = options();
  o.directory = dir_ + "/link";
  ASSERT_EQ(::symlink(dir_.c_str(), o.directory.c_str()), 0);
  auto viaLink = NetnsLock::acquire(o);
  ::unlink(o.directory.c_str());
  ASSERT_FALSE(viaLink.ok());
  EXPECT_EQ(viaLink.error().kind(), ErrorKind::kPermission);
  EXPECT_NE(viaLink.error().message().find("it is a symbolic link"), std::string::npos)
      << viaLink.error().message();

  o.directory = dir_ + "/shared";
  ASSERT_EQ(::mkdir(o.directory.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(o.directory.c_str(), 01777), 0);
  auto shared = NetnsLock::acquire(o);
  ::rmdir(o.directory.c_str());
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.error().kind(), ErrorKind::kPermission);
  EXPECT_NE(shared.error().message().find("others may write to it (mode 1777)"), std::string::npos)
      << shared.error().message();
}

// A file another user created and keeps locked: refused at once (its owner is checked before
// any wait), instead of stalling for the whole timeout.
TEST_F(NetnsLockTest, FileOfAnotherUserIsRefusedWithoutWaiting) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: chown to another uid";
  const std::string path = dir_ + "/" + currentLockName();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fchown(fd, 65534, 65534), 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto lock = NetnsLock::acquire(options(60s));
  ::close(fd);
  ::unlink(path.c_str());
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().kind(), ErrorKind::kPermission) << lock.error().message();
  EXPECT_NE(lock.error().message().find("it is owned by uid 65534"), std::string::npos)
      << lock.error().message();
}

}  // namespace
}  // namespace kt::sys
