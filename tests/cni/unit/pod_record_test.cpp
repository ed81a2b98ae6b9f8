// ADD's record for DEL, and the private state directory it lives in: created 0700, refused when
// it is a link or open to others, files never followed through links.
#include "cni/pod_record.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sys/private_dir.h"

namespace kt::cni {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

struct Scratch {
  fs::path root = fs::temp_directory_path() / ("kt-pod-record-" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(root); }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

TEST(PodRecord, RoundTripsThroughAPrivateDirectory) {
  Scratch s;
  std::string state = (s.root / "state").string();
  config::Config cfg;
  cfg.ebpf.enabled = true;
  cfg.ebpf.bpffsPath = "/run/kuma/pod-bpf";
  ASSERT_TRUE(writePodRecord(state, "c0ffee", PodRecord::of(cfg)).ok());
  // Created private: the state directory and its pods/ directory.
  for (const auto& dir : {fs::path(state), fs::path(state) / "pods"}) {
    struct stat st {};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << dir;
  }
  auto back = readPodRecord(state, "c0ffee");
  ASSERT_TRUE(back.ok()) << back.error().message();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->backend, "ebpf");
  config::Config del;
  (*back)->applyTo(del);
  EXPECT_EQ(del.ebpf.bpffsPath, "/run/kuma/pod-bpf");
  ASSERT_TRUE(removePodRecord(state, "c0ffee").ok());
  auto gone = readPodRecord(state, "c0ffee");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  // Reading or removing where nothing was ever recorded creates nothing.
  std::string never = (s.root / "never").string();
  EXPECT_TRUE(readPodRecord(never, "x").ok());
  EXPECT_TRUE(removePodRecord(never, "x").ok());
  EXPECT_FALSE(fs::exists(never));
}

TEST(PodRecord, AStateDirectoryThatIsALinkOrSharedIsRefused) {
  Scratch s;
  fs::create_directories(s.root / "elsewhere");
  fs::create_directory_symlink(s.root / "elsewhere", s.root / "linked");
  auto linked = writePodRecord((s.root / "linked").string(), "c1", PodRecord{});
  ASSERT_FALSE(linked.ok());
  EXPECT_EQ(linked.error().kind(), ErrorKind::kPermission);
  EXPECT_TRUE(fs::is_empty(s.root / "elsewhere"));

  fs::create_directories(s.root / "shared");
  ::chmod((s.root / "shared").c_str(), 0755);
  auto shared = sys::PrivateDir::open((s.root / "shared").string());
  ASSERT_FALSE(shared.ok());
  EXPECT_THAT(shared.error().message(), HasSubstr("is not private"));
}

TEST(PodRecord, ARecordThatIsALinkIsNotFollowed) {
  Scratch s;
  std::string state = (s.root / "state").string();
  ASSERT_TRUE(writePodRecord(state, "c2", PodRecord{}).ok());
  std::ofstream(s.root / "planted.json") << R"({"bpffsPath":"/etc"})";
  fs::remove(fs::path(state) / "pods" / "c2.json");
  fs::create_symlink(s.root / "planted.json", fs::path(state) / "pods" / "c2.json");
  auto r = readPodRecord(state, "c2");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("symbolic link"));
}

TEST(PodRecord, ContainerIdsThatCannotNameAFileAreRefused) {
  Scratch s;
  for (const char* id : {"", "..", "a/b", ".hidden", "x y"}) {
    EXPECT_FALSE(writePodRecord((s.root / "st").string(), id, PodRecord{}).ok()) << id;
  }
}

}  // namespace
}  // namespace kt::cni
