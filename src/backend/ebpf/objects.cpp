#include "backend/ebpf/objects.h"

#include <bpf/btf.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>

#include "backend/ebpf/libbpf_util.h"
#include "base/read_file.h"
#include "base/strings.h"
#include "kuma_tproxy_cgroup.skel.h"
#include "kuma_tproxy_netns.skel.h"
#include "tproxy_shared.h"

namespace kt::backend::ebpf {

namespace {

const void* embeddedBytes(ObjectKind kind, size_t* size) {
  return kind == ObjectKind::kCgroup ? kuma_tproxy_cgroup__elf_bytes(size)
                                     : kuma_tproxy_netns__elf_bytes(size);
}

struct ObjectCloser {
  void operator()(bpf_object* o) const { bpf_object__close(o); }
};
using PlainObject = std::unique_ptr<bpf_object, ObjectCloser>;

Result<PlainObject> openPlain(const void* data, size_t size, const std::string& name) {
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name.c_str());
  bpf_object* o = bpf_object__open_mem(data, size, &opts);
  if (o == nullptr) return libbpfError("not a BPF object libbpf can open", errno);
  return PlainObject(o);
}

// Variables of the .rodata section: name -> (offset, size).
std::map<std::string, std::pair<uint32_t, uint32_t>> rodataVars(bpf_object* obj) {
  std::map<std::string, std::pair<uint32_t, uint32_t>> out;
  const btf* b = bpf_object__btf(obj);
  if (b == nullptr) return out;
  int id = btf__find_by_name_kind(b, ".rodata", BTF_KIND_DATASEC);
  if (id < 0) return out;
  const btf_type* sec = btf__type_by_id(b, static_cast<uint32_t>(id));
  const btf_var_secinfo* vars = btf_var_secinfos(sec);
  for (unsigned i = 0; i < btf_vlen(sec); ++i) {
    const btf_type* var = btf__type_by_id(b, vars[i].type);
    out[btf__name_by_offset(b, var->name_off)] = {vars[i].offset, vars[i].size};
  }
  return out;
}

bpf_map* rodataMap(bpf_object* obj) {
  bpf_map* m;
  bpf_object__for_each_map(m, obj) {
    const char* n = bpf_map__name(m);
    if (n != nullptr && std::string_view(n).ends_with(".rodata")) return m;
  }
  return nullptr;
}

// Compares the file's object with the embedded one; returns the first difference.
std::optional<std::string> compareObjects(bpf_object* want, bpf_object* got) {
  bpf_program* p;
  bpf_object__for_each_program(p, want) {
    const char* name = bpf_program__name(p);
    bpf_program* q = bpf_object__find_program_by_name(got, name);
    if (q == nullptr) return "program '" + std::string(name) + "' is missing";
    if (bpf_program__type(q) != bpf_program__type(p)) {
      return "program '" + std::string(name) + "' has type " +
             libbpf_bpf_prog_type_str(bpf_program__type(q)) + ", expected " +
             libbpf_bpf_prog_type_str(bpf_program__type(p));
    }
    if (bpf_program__expected_attach_type(q) != bpf_program__expected_attach_type(p)) {
      return "program '" + std::string(name) + "' has attach type " +
             libbpf_bpf_attach_type_str(bpf_program__expected_attach_type(q)) + ", expected " +
             libbpf_bpf_attach_type_str(bpf_program__expected_attach_type(p));
    }
  }
  bpf_map* m;
  bpf_object__for_each_map(m, want) {
    std::string name = bpf_map__name(m);
    if (name.ends_with(".rodata")) continue;  // compared variable by variable below
    bpf_map* n = bpf_object__find_map_by_name(got, name.c_str());
    if (n == nullptr) return "map '" + name + "' is missing";
    auto differs = [&](const char* what, uint64_t a, uint64_t b) -> std::optional<std::string> {
      if (a == b) return std::nullopt;
      return "map '" + name + "' has " + what + " " + std::to_string(b) + ", expected " +
             std::to_string(a);
    };
    if (bpf_map__type(n) != bpf_map__type(m)) {
      return "map '" + name + "' has type " + libbpf_bpf_map_type_str(bpf_map__type(n)) +
             ", expected " + libbpf_bpf_map_type_str(bpf_map__type(m));
    }
    if (auto d = differs("key size", bpf_map__key_size(m), bpf_map__key_size(n))) return d;
    if (auto d = differs("value size", bpf_map__value_size(m), bpf_map__value_size(n))) return d;
    if (auto d = differs("max entries", bpf_map__max_entries(m), bpf_map__max_entries(n))) return d;
    if (auto d = differs("flags", bpf_map__map_flags(m), bpf_map__map_flags(n))) return d;
  }
  auto wantVars = rodataVars(want), gotVars = rodataVars(got);
  for (const auto& [name, where] : wantVars) {
    auto it = gotVars.find(name);
    if (it == gotVars.end()) return "read-only variable '" + name + "' is missing";
    if (it->second != where) return "read-only variable '" + name + "' has a different layout";
  }
  if (wantVars.size() != gotVars.size()) return "read-only data has extra variables";
  // The layout version, from the initial value of .rodata.
  bpf_map* ro = rodataMap(got);
  auto ver = gotVars.find("kt_layout_version");
  if (ro == nullptr || ver == gotVars.end()) return "no layout version (kt_layout_version)";
  size_t size = 0;
  const auto* init = static_cast<const uint8_t*>(bpf_map__initial_value(ro, &size));
  if (init == nullptr || ver->second.first + sizeof(uint32_t) > size) {
    return "no layout version (kt_layout_version)";
  }
  uint32_t version = 0;
  std::memcpy(&version, init + ver->second.first, sizeof version);
  if (version != KT_LAYOUT_VERSION) {
    return "layout version " + std::to_string(version) + ", this kuma-tproxy needs " +
           std::to_string(KT_LAYOUT_VERSION);
  }
  return std::nullopt;
}

// Our objects are about 100 KiB; anything near this is not one of them.
constexpr size_t kMaxObjectBytes = 64u << 20;

}  // namespace

const char* objectFileName(ObjectKind kind) {
  return kind == ObjectKind::kCgroup ? KT_OBJ_CGROUP : KT_OBJ_NETNS;
}

std::string ObjectSource::path(ObjectKind kind) const {
  if (dir.empty()) return "";
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/')
    d.pop_back();
  return d + "/" + objectFileName(kind);
}

std::string ObjectSource::describe(ObjectKind kind) const {
  if (!dir.empty()) return path(kind);
  size_t size = 0;
  embeddedBytes(kind, &size);
  return "embedded (" + std::to_string(size) + " bytes)";
}

std::string sha256Hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

namespace {

Result<std::string> readAndCheck(ObjectKind kind, const std::string& path,
                                 const std::map<std::string, std::string>& sha256) {
  const std::string file = objectFileName(kind);
  auto fail = [&](const std::string& why) {
    return Error::config("--ebpf-programs-source-path: " + path + ": " + why)
        .hint("the directory must hold the " + file +
              " built with this kuma-tproxy version (installed under lib/kuma-tproxy/bpf)");
  };
  auto bytes = readFile(path, kMaxObjectBytes, path, ReadOptions{.noFollow = true});
  if (!bytes) return fail(bytes.error().message());
  size_t size = 0;
  const void* data = embeddedBytes(kind, &size);
  std::string_view embedded(static_cast<const char*>(data), size);
  if (std::string_view(*bytes) != embedded) {
    // Not a copy of ours: only a digest the administrator configured makes it loadable.
    std::string got = sha256Hex(*bytes), want = sha256Hex(embedded);
    auto it = sha256.find(file);
    if (it == sha256.end()) {
      return Error::config("--ebpf-programs-source-path: " + path +
                           " is not the object built into this kuma-tproxy (its sha256 is " + got +
                           ", the embedded object's is " + want +
                           ") and no digest is configured for " + file)
          .hint("copy the " + file +
                " of this kuma-tproxy version there, or, to load this very object, have the node "
                "administrator accept its digest: --ebpf-programs-sha256 " +
                file + "=" + got + " (CNI: ebpf_programs_sha256)");
    }
    if (it->second != got) {
      return Error::config("--ebpf-programs-source-path: " + path + " has sha256 " + got +
                           ", which is neither the embedded object's (" + want +
                           ") nor the one configured for " + file + " (" + it->second + ")")
          .hint("the file was changed after its digest was configured; do not load it");
    }
  }
  KT_ASSIGN_OR_RETURN(auto want, openPlain(data, size, "embedded"));
  auto got = openPlain(bytes->data(), bytes->size(), "file");
  if (!got) return fail(got.error().message());
  if (auto diff = compareObjects(want.get(), got->get())) return fail(*diff);
  return std::move(bytes).value();
}

}  // namespace

Result<std::string> readObjectFile(ObjectKind kind, const ObjectSource& source) {
  return readAndCheck(kind, source.path(kind), source.sha256);
}

Status validateObjectFile(ObjectKind kind, const std::string& path,
                          const std::map<std::string, std::string>& sha256) {
  KT_TRY(readAndCheck(kind, path, sha256));
  return okStatus();
}

Result<std::unique_ptr<BpfObject>> BpfObject::open(ObjectKind kind, const ObjectSource& source) {
  installLibbpfLogBridge();
  std::unique_ptr<BpfObject> self(new BpfObject());
  self->kind_ = kind;
  self->origin_ = source.describe(kind);
  if (!source.embedded()) {
    // The bytes checked are the bytes loaded: the file is read once.
    KT_ASSIGN_OR_RETURN(self->bytes_, readObjectFile(kind, source));
  }

  // The skeleton's own open, with the file's bytes in place of the embedded ones when given.
  bpf_object_skeleton* s = nullptr;
  int err = 0;
  if (kind == ObjectKind::kCgroup) {
    auto* skel = static_cast<kuma_tproxy_cgroup*>(calloc(1, sizeof(kuma_tproxy_cgroup)));
    if (skel == nullptr) return Error::system("allocating a BPF skeleton", ENOMEM);
    self->skel_ = skel;
    err = kuma_tproxy_cgroup__create_skeleton(skel);
    s = skel->skeleton;
  } else {
    auto* skel = static_cast<kuma_tproxy_netns*>(calloc(1, sizeof(kuma_tproxy_netns)));
    if (skel == nullptr) return Error::system("allocating a BPF skeleton", ENOMEM);
    self->skel_ = skel;
    err = kuma_tproxy_netns__create_skeleton(skel);
    s = skel->skeleton;
  }
  if (err != 0) return libbpfError("creating the BPF skeleton", err);
  if (!self->bytes_.empty()) {
    s->data = self->bytes_.data();
    s->data_sz = self->bytes_.size();
  }
  LibbpfLogCapture capture;
  err = bpf_object__open_skeleton(s, nullptr);
  if (err != 0) {
    return libbpfError(std::string("opening BPF object ") + objectFileName(kind) + " (" +
                           self->origin_ + ")",
                       err)
        .hint(capture.tail(5));
  }
  self->obj_ = *s->obj;
  self->desc_ = s;
  return self;
}

BpfObject::~BpfObject() {
  if (skel_ == nullptr) return;
  if (kind_ == ObjectKind::kCgroup) {
    kuma_tproxy_cgroup__destroy(static_cast<kuma_tproxy_cgroup*>(skel_));
  } else {
    kuma_tproxy_netns__destroy(static_cast<kuma_tproxy_netns*>(skel_));
  }
}

bpf_program* BpfObject::program(const char* name) const {
  return bpf_object__find_program_by_name(obj_, name);
}

bpf_map* BpfObject::map(const char* name) const {
  return bpf_object__find_map_by_name(obj_, name);
}

Status BpfObject::load() {
  LibbpfLogCapture capture;
  int err = bpf_object__load_skeleton(desc_);
  if (err == 0) return okStatus();
  std::string tail = capture.tail();
  if (!tail.empty()) spdlog::error("BPF verifier / libbpf log:\n{}", tail);
  return libbpfError(
             std::string("loading BPF object ") + objectFileName(kind_) + " (" + origin_ + ")", err)
      .hint(tail.empty() ? "run with --log-level debug for libbpf's messages"
                         : "the kernel rejected a program; the verifier log is above");
}

}  // namespace kt::backend::ebpf
