// The documented failures of the eBPF backend (label kernel): each is one clear error and
// leaves nothing attached or pinned.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backend/ebpf/host.h"
#include "backend/ebpf/layout.h"
#include "backend/ebpf/objects.h"
#include "backend/ebpf/pins.h"
#include "backend/ebpf/pod.h"
#include "support/fixture.h"

namespace kt::ebpftest {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace eb = backend::ebpf;
namespace fs = std::filesystem;

// A scratch directory under /tmp, removed with its contents.
struct TempDir {
  fs::path path = fs::path("/tmp") / uniqueName("dir");
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

class Errors : public EbpfTest {
 protected:
  // The failure left nothing behind: no attachment at the cgroup, no pins of ours.
  void expectNothingLeft(const Pod& p) {
    EXPECT_EQ(cgroupAttachments(cgroup_->path()), 0u);
    EXPECT_THAT(eb::pinnedPods(eb::PinLayout::under(bpffs_->path())), IsEmpty());
    for (const auto& m : eb::kMapSpecs) {
      EXPECT_FALSE(fs::exists(eb::PinLayout::under(bpffs_->path()).map(m.name))) << m.name;
    }
    (void)p;
  }
};

TEST_F(Errors, MissingProgramsSourceDirectory) {
  Pod* p = addPod(91);
  ASSERT_NE(p, nullptr);
  p->cfg.ebpf.programsSourcePath = "/nonexistent/kuma-ebpf";
  auto s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kConfig);
  EXPECT_THAT(s.error().message(),
              HasSubstr("/nonexistent/kuma-ebpf/kuma_tproxy_cgroup.bpf.o: cannot open"));
  EXPECT_THAT(s.error().hint(), HasSubstr("kuma_tproxy_cgroup.bpf.o"));
  expectNothingLeft(*p);
}

TEST_F(Errors, IncompatibleObjectsInTheSourceDirectory) {
  Pod* p = addPod(92);
  ASSERT_NE(p, nullptr);
  TempDir dir;
  p->cfg.ebpf.programsSourcePath = dir.path;
  // The per-pod object where the node-wide one is expected: not the embedded object, and no
  // digest configured.
  fs::copy_file(fs::path(KT_BPF_OBJECT_DIR) / "kuma_tproxy_netns.bpf.o",
                dir.path / "kuma_tproxy_cgroup.bpf.o");
  auto s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kConfig);
  EXPECT_THAT(s.error().message(), HasSubstr("is not the object built into this kuma-tproxy"));
  expectNothingLeft(*p);

  // With its digest configured, the shape check names what is wrong: its programs are missing.
  std::string netnsDigest;
  {
    std::ifstream in(dir.path / "kuma_tproxy_cgroup.bpf.o", std::ios::binary);
    netnsDigest = eb::sha256Hex(std::string(std::istreambuf_iterator<char>(in), {}));
  }
  p->cfg.ebpf.programsSha256["kuma_tproxy_cgroup.bpf.o"] = netnsDigest;
  s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("kuma_tproxy_cgroup.bpf.o: program 'kt_"));
  EXPECT_THAT(s.error().message(), HasSubstr("is missing"));
  expectNothingLeft(*p);

  // Not an ELF object at all (digest configured).
  std::ofstream(dir.path / "kuma_tproxy_cgroup.bpf.o") << "not an object";
  p->cfg.ebpf.programsSha256["kuma_tproxy_cgroup.bpf.o"] = eb::sha256Hex("not an object");
  s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("not a BPF object"));
  expectNothingLeft(*p);
}

TEST_F(Errors, CgroupPathThatIsNotCgroupV2) {
  Pod* p = addPod(93);
  ASSERT_NE(p, nullptr);
  TempDir dir;
  p->cfg.ebpf.cgroupPath = dir.path;
  auto s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kUnsupported);
  EXPECT_THAT(s.error().message(), HasSubstr("is not on a cgroup v2 file system"));
  EXPECT_THAT(s.error().hint(), HasSubstr("cgroup v2 is mounted at"));

  p->cfg.ebpf.cgroupPath = "/nonexistent/cgroup";
  s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("--ebpf-cgroup-path '/nonexistent/cgroup'"));
  EXPECT_THAT(s.error().hint(), HasSubstr("cgroup v2 is mounted at"));
  expectNothingLeft(*p);
}

TEST_F(Errors, PinsOfAnotherLayoutVersion) {
  Pod* p = addPod(94);
  ASSERT_NE(p, nullptr);
  std::string old = bpffs_->path() + "/" + eb::layoutDirName(eb::kLayoutVersion + 41);
  ASSERT_EQ(::mkdir(old.c_str(), 0700), 0);
  auto s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kUnsupported);
  EXPECT_THAT(s.error().message(), HasSubstr(old));
  EXPECT_THAT(s.error().hint(), HasSubstr("uninstall --ebpf-all"));
  expectNothingLeft(*p);
  // uninstall --ebpf-all removes every version's pins; then install works.
  ASSERT_TRUE(uninstall(*p, true).ok());
  EXPECT_FALSE(fs::exists(old));
  EXPECT_TRUE(install(*p).ok());
}

TEST_F(Errors, IncompatiblePinnedMap) {
  Pod* p = addPod(95);
  ASSERT_NE(p, nullptr);
  eb::PinLayout layout = eb::PinLayout::under(bpffs_->path());
  ASSERT_TRUE(eb::createLayoutDirs(layout).ok());
  // A kt_pods map as an older build might have made it: a different value size.
  int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "kt_pods", 8, 64, 16, nullptr);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(bpf_obj_pin(fd, layout.map("kt_pods").c_str()), 0);
  ::close(fd);
  auto s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kUnsupported);
  EXPECT_THAT(s.error().message(), HasSubstr("kt_pods is incompatible: value size 64"));
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), 0u);
  EXPECT_THAT(eb::pinnedPods(layout), IsEmpty());
}

TEST_F(Errors, ReadOnlyBpffs) {
  Pod* p = addPod(96);
  ASSERT_NE(p, nullptr);
  auto ro = scratchBpffs(/*readOnly=*/true);
  ASSERT_TRUE(ro.ok()) << ro.error().message();
  p->cfg.ebpf.bpffsPath = (*ro)->path();
  auto s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kPermission);
  EXPECT_THAT(s.error().hint(), HasSubstr("read-only"));
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), 0u);
}

TEST_F(Errors, BpffsPathThatIsAnotherNonEmptyFileSystem) {
  Pod* p = addPod(97);
  ASSERT_NE(p, nullptr);
  TempDir dir;
  std::ofstream(dir.path / "something") << "x";
  p->cfg.ebpf.bpffsPath = dir.path;
  auto s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("is not a bpf file system and not empty"));
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), 0u);
}

TEST_F(Errors, EmptyDirectoryGetsABpffsMounted) {
  Pod* p = addPod(98);
  ASSERT_NE(p, nullptr);
  TempDir dir;
  fs::path mountPoint = dir.path / "bpf";  // created by install
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mountPoint};
  p->cfg.ebpf.bpffsPath = mountPoint;
  ASSERT_TRUE(install(*p).ok());
  EXPECT_TRUE(eb::isBpffs(mountPoint));
  EXPECT_TRUE(uninstall(*p, true).ok());
  // The install made the mount point and mounted the bpffs; removing everything removes them.
  EXPECT_FALSE(eb::isBpffs(mountPoint));
  EXPECT_FALSE(fs::exists(mountPoint));
  EXPECT_TRUE(fs::exists(dir.path)) << "a directory the install did not create stays";
}

// The pod uninstall that removes the last pod from a bpffs an install created takes the node
// programs, the mount and the directories with it; a second pod keeps them alive meanwhile.
TEST_F(Errors, LastPodUninstallRemovesTheBpffsTheInstallCreated) {
  Pod* a = addPod(87);
  Pod* b = addPod(88);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  TempDir dir;
  fs::path created = dir.path / "made";
  fs::path mountPoint = created / "bpf";
  struct Unmount {
    std::string path, cgroup;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mountPoint, cgroup_->path()};
  a->cfg.ebpf.bpffsPath = b->cfg.ebpf.bpffsPath = mountPoint;
  ASSERT_TRUE(install(*a).ok());
  ASSERT_TRUE(install(*b).ok());
  ASSERT_TRUE(uninstall(*a).ok());
  EXPECT_TRUE(eb::isBpffs(mountPoint)) << "pod b still uses it";
  EXPECT_GT(cgroupAttachments(cgroup_->path()), 0u);
  ASSERT_TRUE(uninstall(*b).ok());
  EXPECT_FALSE(eb::isBpffs(mountPoint));
  EXPECT_FALSE(fs::exists(created)) << "both directories the install made are gone";
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), 0u);
}

// A failed install removes the directories it created and the bpffs it mounted (the failure
// comes after the mount: the programs source path holds no objects).
TEST_F(Errors, FailedInstallRemovesTheDirectoriesAndMountItMade) {
  Pod* p = addPod(89);
  ASSERT_NE(p, nullptr);
  TempDir dir;
  fs::path created = dir.path / "a";
  fs::path mountPoint = created / "b" / "bpf";
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mountPoint};
  p->cfg.ebpf.bpffsPath = mountPoint;
  p->cfg.ebpf.programsSourcePath = dir.path / "no-objects";
  auto s = install(*p);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("kuma_tproxy_cgroup.bpf.o"));
  EXPECT_FALSE(eb::isBpffs(mountPoint));
  EXPECT_FALSE(fs::exists(created)) << "the install left the directories it created";
  EXPECT_TRUE(fs::exists(dir.path));
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), 0u);
}

}  // namespace
}  // namespace kt::ebpftest
