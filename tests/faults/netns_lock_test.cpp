// The per-namespace lock on its own (no privileges: it locks the test's current namespace with
// lock files in a private temporary directory).
#include "sys/netns_lock.h"

#include <signal.h>
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

TEST(NetnsLockDirectories, PreferRunThenTheXtablesLockDirectoryThenTmp) {
  EXPECT_EQ(lockDirectories(nullptr, nullptr),
            (std::vector<std::string>{"/run/kuma-tproxy", "/tmp"}));
  // Kuma's init container: read-only root, XTABLES_LOCKFILE on the /tmp emptyDir.
  EXPECT_EQ(lockDirectories("/tmp/xtables.lock", nullptr),
            (std::vector<std::string>{"/run/kuma-tproxy", "/tmp"}));
  EXPECT_EQ(lockDirectories("/scratch/locks/xtables.lock", "/var/tmp/"),
            (std::vector<std::string>{"/run/kuma-tproxy", "/scratch/locks", "/var/tmp", "/tmp"}));
  // Relative paths would depend on the working directory of each run.
  EXPECT_EQ(lockDirectories("xtables.lock", "tmp"),
            (std::vector<std::string>{"/run/kuma-tproxy", "/tmp"}));
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

}  // namespace
}  // namespace kt::sys
