// The embedded BPF objects against the loader's tables, and the validation of object files for
// --ebpf-programs-source-path (label unit: opening objects needs no privileges).
#include "backend/ebpf/objects.h"

#include <bpf/libbpf.h>
#include <elf.h>
#include <unistd.h>

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

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string fileDigest(const std::string& path) {
  return sha256Hex(slurp(path));
}

struct TempDir {
  fs::path p;
  explicit TempDir(const std::string& tag)
      : p(fs::temp_directory_path() / ("kt-ebpf-" + tag + "-" + std::to_string(::getpid()))) {
    fs::create_directories(p);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(p, ec);
  }
};

// The object's bytes with the immediate of the last instruction of section `section` changed:
// the same programs, maps and layout (the shape check cannot tell), different instructions.
std::string tampered(std::string elf, const std::string& section) {
  auto* eh = reinterpret_cast<const Elf64_Ehdr*>(elf.data());
  auto* sh = reinterpret_cast<const Elf64_Shdr*>(elf.data() + eh->e_shoff);
  const char* names = elf.data() + sh[eh->e_shstrndx].sh_offset;
  for (unsigned i = 0; i < eh->e_shnum; ++i) {
    if (section != names + sh[i].sh_name) continue;
    if (sh[i].sh_size < 8) break;
    size_t last = sh[i].sh_offset + sh[i].sh_size - 8;  // the final `exit`
    elf[last + 4] = static_cast<char>(elf[last + 4] ^ 0x5a);
    return elf;
  }
  ADD_FAILURE() << "no section " << section;
  return elf;
}

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
    ObjectSource src{KT_BPF_OBJECT_DIR, {}};
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
  ObjectSource src{dir.string(), {}};

  auto missing = validateObjectFile(ObjectKind::kCgroup, src.path(ObjectKind::kCgroup));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kConfig);
  EXPECT_THAT(missing.error().message(), HasSubstr("kuma_tproxy_cgroup.bpf.o: cannot open"));

  // Shape checks run on files the administrator accepted by digest (copies of the embedded
  // objects need none).
  std::ofstream(dir / "kuma_tproxy_cgroup.bpf.o") << "garbage";
  auto garbage = validateObjectFile(ObjectKind::kCgroup, src.path(ObjectKind::kCgroup),
                                    {{"kuma_tproxy_cgroup.bpf.o", sha256Hex("garbage")}});
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.error().message(), HasSubstr("not a BPF object"));

  fs::copy_file(fs::path(KT_BPF_OBJECT_DIR) / "kuma_tproxy_cgroup.bpf.o",
                dir / "kuma_tproxy_netns.bpf.o");
  auto swapped =
      validateObjectFile(ObjectKind::kNetns, src.path(ObjectKind::kNetns),
                         {{"kuma_tproxy_netns.bpf.o", fileDigest(src.path(ObjectKind::kNetns))}});
  ASSERT_FALSE(swapped.ok());
  EXPECT_THAT(swapped.error().message(), HasSubstr("program 'kt_sk_lookup' is missing"));
}

// A programs source path can be a directory someone else writes to: an object with the right
// shape but other instructions is refused unless the administrator configured its digest.
TEST(EbpfObjects, ATamperedObjectWithTheSameShapeIsRefusedUnlessItsDigestIsConfigured) {
  TempDir dir("tampered");
  fs::path built = fs::path(KT_BPF_OBJECT_DIR) / "kuma_tproxy_cgroup.bpf.o";
  std::string original = slurp(built);
  std::string bad = tampered(original, "cgroup/connect4");
  ASSERT_NE(bad, original);
  std::ofstream(dir.p / "kuma_tproxy_cgroup.bpf.o", std::ios::binary) << bad;
  ObjectSource src{dir.p.string(), {}};
  std::string path = src.path(ObjectKind::kCgroup);

  auto refused = readObjectFile(ObjectKind::kCgroup, src);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), ErrorKind::kConfig);
  EXPECT_THAT(refused.error().message(), HasSubstr(path + " is not the object built into"));
  EXPECT_THAT(refused.error().message(), HasSubstr(sha256Hex(bad)));
  EXPECT_THAT(refused.error().message(), HasSubstr(sha256Hex(original)));
  EXPECT_THAT(refused.error().hint(),
              HasSubstr("--ebpf-programs-sha256 kuma_tproxy_cgroup.bpf.o="));
  // BpfObject::open goes through the same check.
  EXPECT_FALSE(BpfObject::open(ObjectKind::kCgroup, src).ok());

  // Another digest configured: still refused, naming the three digests.
  src.sha256["kuma_tproxy_cgroup.bpf.o"] = std::string(64, '0');
  auto wrong = readObjectFile(ObjectKind::kCgroup, src);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.error().message(), HasSubstr(std::string(64, '0')));

  // Its own digest configured: accepted, and the bytes returned are the tampered ones.
  src.sha256["kuma_tproxy_cgroup.bpf.o"] = sha256Hex(bad);
  auto accepted = readObjectFile(ObjectKind::kCgroup, src);
  ASSERT_TRUE(accepted.ok()) << accepted.error().message();
  EXPECT_EQ(*accepted, bad);
  EXPECT_TRUE(BpfObject::open(ObjectKind::kCgroup, src).ok());

  // An unchanged copy needs no digest.
  std::ofstream(dir.p / "kuma_tproxy_cgroup.bpf.o", std::ios::binary | std::ios::trunc) << original;
  EXPECT_TRUE(readObjectFile(ObjectKind::kCgroup, ObjectSource{dir.p.string(), {}}).ok());
}

TEST(EbpfObjects, ASymlinkedObjectIsRefused) {
  TempDir dir("symlink");
  fs::create_symlink(fs::path(KT_BPF_OBJECT_DIR) / "kuma_tproxy_netns.bpf.o",
                     dir.p / "kuma_tproxy_netns.bpf.o");
  auto r = readObjectFile(ObjectKind::kNetns, ObjectSource{dir.p.string(), {}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("is a symbolic link, not a regular file"));
}

TEST(EbpfObjects, Sha256IsTheStandardDigest) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
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
