// The embedded BPF objects against the loader's tables, and the validation of object files for
// --ebpf-programs-source-path (label unit: opening objects needs no privileges).
#include "backend/ebpf/objects.h"

#include <bpf/libbpf.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backend/ebpf/layout.h"
#include "backend/ebpf/libbpf_util.h"

namespace kt::backend::ebpf {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

TEST(EbpfObjects, EmbeddedObjectsMatchTheLoaderTables) {
  for (auto kind : {ObjectKind::kCgroup, ObjectKind::kNetns}) {
    auto obj = BpfObject::open(kind, ObjectSource{});
    ASSERT_TRUE(obj.ok()) << obj.error().message();
    for (const auto& spec : kMapSpecs) {
      bpf_map* m = (*obj)->map(spec.name);
      ASSERT_NE(m, nullptr) << spec.name;
      EXPECT_EQ(bpf_map__type(m), spec.type) << spec.name;
      EXPECT_EQ(bpf_map__key_size(m), spec.keySize) << spec.name;
      EXPECT_EQ(bpf_map__value_size(m), spec.valueSize) << spec.name;
      EXPECT_EQ(bpf_map__max_entries(m), spec.maxEntries) << spec.name;
      EXPECT_EQ(bpf_map__map_flags(m), spec.flags) << spec.name;
    }
    if (kind == ObjectKind::kCgroup) {
      for (const auto& p : kCgroupPrograms) {
        bpf_program* prog = (*obj)->program(p.name);
        ASSERT_NE(prog, nullptr) << p.name;
        EXPECT_EQ(bpf_program__expected_attach_type(prog), p.attachType) << p.name;
      }
    } else {
      bpf_program* prog = (*obj)->program(kSkLookupProgram);
      ASSERT_NE(prog, nullptr);
      EXPECT_EQ(bpf_program__type(prog), BPF_PROG_TYPE_SK_LOOKUP);
    }
  }
}

TEST(EbpfObjects, BuiltObjectFilesValidate) {
  for (auto kind : {ObjectKind::kCgroup, ObjectKind::kNetns}) {
    ObjectSource src{KT_BPF_OBJECT_DIR};
    auto s = validateObjectFile(kind, src.path(kind));
    EXPECT_TRUE(s.ok()) << s.error().message();
  }
}

TEST(EbpfObjects, WrongObjectFilesAreRefusedWithTheReason) {
  fs::path dir = fs::temp_directory_path() / ("kt-ebpf-objects-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{dir};
  ObjectSource src{dir.string()};

  auto missing = validateObjectFile(ObjectKind::kCgroup, src.path(ObjectKind::kCgroup));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kConfig);
  EXPECT_THAT(missing.error().message(), HasSubstr("kuma_tproxy_cgroup.bpf.o: cannot open"));

  std::ofstream(dir / "kuma_tproxy_cgroup.bpf.o") << "garbage";
  auto garbage = validateObjectFile(ObjectKind::kCgroup, src.path(ObjectKind::kCgroup));
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.error().message(), HasSubstr("not a BPF object"));

  fs::copy_file(fs::path(KT_BPF_OBJECT_DIR) / "kuma_tproxy_cgroup.bpf.o",
                dir / "kuma_tproxy_netns.bpf.o");
  auto swapped = validateObjectFile(ObjectKind::kNetns, src.path(ObjectKind::kNetns));
  ASSERT_FALSE(swapped.ok());
  EXPECT_THAT(swapped.error().message(), HasSubstr("program 'kt_sk_lookup' is missing"));
}

TEST(EbpfLibbpfLog, TailPrefersTheVerifierLog) {
  LibbpfLogCapture capture;
  capture.add("libbpf: prog 'x': BPF program load failed: Permission denied\n");
  capture.add("libbpf: prog 'x': -- BEGIN PROG LOAD LOG --\n0: (b7) r0 = 0\n");
  capture.add("1: (95) exit\nR0 !read_ok\n");
  capture.add("-- END PROG LOAD LOG --\nlibbpf: failed to load object 'y'\n");
  EXPECT_EQ(capture.tail(), "0: (b7) r0 = 0\n1: (95) exit\nR0 !read_ok");
  EXPECT_EQ(capture.tail(1), "R0 !read_ok");
}

TEST(EbpfLibbpfLog, TailWithoutAVerifierLogIsTheLastLines) {
  LibbpfLogCapture capture;
  capture.add("libbpf: a\nlibbpf: b\n");
  capture.add("libbpf: c");  // no newline yet: not a line
  EXPECT_EQ(capture.tail(), "libbpf: a\nlibbpf: b");
}

}  // namespace
}  // namespace kt::backend::ebpf
