// The bounded reader opens regular files only and never blocks: every configurable path is
// opened as root on behalf of a configuration or a pod (docs/security.md).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "base/read_file.h"
#include "config/input.h"
#include "config_test_support.h"

namespace kt {
namespace {

// Runs a read on another thread so that a read which blocks fails the test instead of hanging
// it (the reader must not block at all, so the bound is generous). A reader blocked on a FIFO
// is released by opening its write end.
template <class Read>
auto within(const std::string& path, Read read) {
  auto fut = std::async(std::launch::async, read);
  if (fut.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    ADD_FAILURE() << "reading " << path << " blocked";
    int w = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (w >= 0) ::close(w);
  }
  return fut.get();
}

Result<std::string> readWithin(const std::string& path, size_t maxBytes, ReadOptions opts = {}) {
  return within(path, [=] { return readFile(path, maxBytes, path, opts); });
}

TEST(ReadFile, AFifoIsRefusedWithoutBlocking) {
  std::string path = "/tmp/kt-read-file-fifo-" + std::to_string(::getpid());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto r = readWithin(path, 1024);
  ::unlink(path.c_str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kConfig);
  EXPECT_EQ(r.error().message(), path + " is a FIFO, not a regular file");
}

TEST(ReadFile, DevicesAreRefusedWithoutReading) {
  // /dev/zero would fill any buffer, /dev/kmsg blocks at its end.
  for (const char* dev : {"/dev/zero", "/dev/null"}) {
    auto r = readWithin(dev, 1024);
    ASSERT_FALSE(r.ok()) << dev;
    EXPECT_EQ(r.error().message(), std::string(dev) + " is a character device, not a regular file");
  }
}

TEST(ReadFile, ADirectoryIsRefused) {
  auto r = readFile("/", 10, "the root");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kConfig);
  EXPECT_EQ(r.error().message(), "the root is a directory, not a regular file");
}

TEST(ReadFile, AnOverCapFileIsRefusedBeforeReading) {
  config::testing::TempFile big(std::string(4096, 'x'));
  auto r = readWithin(big.path(), 4095);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kRuntime);
  EXPECT_EQ(r.error().message(), big.path() + " is larger than 4095 bytes, the most accepted");
  auto ok = readWithin(big.path(), 4096);
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->size(), 4096u);
}

TEST(ReadFile, SymbolicLinksAreFollowedOnlyWhenAllowed) {
  config::testing::TempFile target("nameserver 10.0.0.10\n");
  std::string link = target.path() + ".link";
  ASSERT_EQ(::symlink(target.path().c_str(), link.c_str()), 0);
  auto followed = readWithin(link, 1024);
  auto refused = readWithin(link, 1024, ReadOptions{.noFollow = true});
  ::unlink(link.c_str());
  ASSERT_TRUE(followed.ok()) << followed.error().message();
  EXPECT_EQ(*followed, "nameserver 10.0.0.10\n");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), link + " is a symbolic link, not a regular file");
}

TEST(ReadFile, TheConfigStageRefusesAFifoAsAConfigProblem) {
  // What --config-file, --annotations-file and redirect.dns.resolvConfigPath go through.
  std::string path = "/tmp/kt-read-file-fifo2-" + std::to_string(::getpid());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto r = within(path, [&] { return config::readFileLimited(path, 1024); });
  ::unlink(path.c_str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kConfig);
}

}  // namespace
}  // namespace kt
