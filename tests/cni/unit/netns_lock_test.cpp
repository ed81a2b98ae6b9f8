#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "cni/netns_lock.h"

namespace kt::cni {
namespace {

class NetnsLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kt-cni-lock-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string locks = dir_ + "/locks";
    if (auto* d = ::opendir(locks.c_str())) {
      while (auto* e = ::readdir(d))
        if (e->d_name[0] != '.') ::unlink((locks + "/" + e->d_name).c_str());
      ::closedir(d);
    }
    ::rmdir(locks.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(NetnsLockTest, SerializesHoldersOfOneNamespace) {
  // The current namespace stands in for a pod's: only its inode matters.
  auto first = NetnsLock::acquire(dir_ + "/locks", "/proc/self/ns/net", std::chrono::seconds(1));
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto second =
      NetnsLock::acquire(dir_ + "/locks", "/proc/self/ns/net", std::chrono::milliseconds(100));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind(), ErrorKind::kTransient);

  // A waiter gets the lock once the holder releases it, even when the holder removed the file.
  std::string path = first->path();
  std::thread release([holder = std::move(*first)]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    holder.removeFile();
  });
  auto third = NetnsLock::acquire(dir_ + "/locks", "/proc/self/ns/net", std::chrono::seconds(10));
  release.join();
  ASSERT_TRUE(third.ok()) << third.error().message();
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << "the waiter locks a live file, not the unlinked one";
}

TEST_F(NetnsLockTest, MissingNamespaceIsNotFound) {
  auto l =
      NetnsLock::acquire(dir_ + "/locks", "/var/run/netns/kt-cni-missing", std::chrono::seconds(1));
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace kt::cni
