#include "backend/ebpf/sk_lookup_prog.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

#include "backend/ebpf/libbpf_util.h"
#include "backend/ebpf/pins.h"
#include "tproxy_shared.h"

namespace kt::backend::ebpf {

namespace {

constexpr uint64_t kCookieMarker = KT_NETNS_COOKIE_MARKER;
// The license of our objects (bpf/maps.bpf.c); sk_lookup uses no GPL-only helper.
constexpr const char* kLicense = "Dual BSD/GPL";

bool isLoad64(const bpf_insn& i) {
  return i.code == (BPF_LD | BPF_IMM | BPF_DW);
}

uint64_t imm64(const bpf_insn* i) {
  return static_cast<uint64_t>(static_cast<uint32_t>(i[0].imm)) |
         (static_cast<uint64_t>(static_cast<uint32_t>(i[1].imm)) << 32);
}

void setImm64(bpf_insn* i, uint64_t v) {
  i[0].imm = static_cast<int32_t>(static_cast<uint32_t>(v));
  i[1].imm = static_cast<int32_t>(static_cast<uint32_t>(v >> 32));
}

Error templateError(const std::string& what) {
  return Error::runtime("kt_sk_lookup template: " + what)
      .hint("the BPF object does not match this kuma-tproxy; rebuild it with this version");
}

// BPF_PROG_LOAD as a plain system call: libbpf's bpf_prog_load() first probes the kernel (memory
// accounting, program names) in every new process, which a pod's install does not need.
int progLoad(const SkLookupTemplate& tmpl, char* log, uint32_t logSize) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SK_LOOKUP;
  attr.expected_attach_type = BPF_SK_LOOKUP;
  attr.insns = reinterpret_cast<uintptr_t>(tmpl.insns);
  attr.insn_cnt = tmpl.insnCount;
  attr.license = reinterpret_cast<uintptr_t>(kLicense);
  std::strncpy(attr.prog_name, kSkLookupProgram, sizeof attr.prog_name - 1);
  if (log != nullptr) {
    attr.log_level = 1;
    attr.log_buf = reinterpret_cast<uintptr_t>(log);
    attr.log_size = logSize;
  }
  return static_cast<int>(::syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
}

}  // namespace

Result<BuiltSkLookup> buildSkLookupTemplate(const ObjectSource& source, const MapFds& maps,
                                            uint64_t netnsCookie) {
  KT_ASSIGN_OR_RETURN(auto obj, BpfObject::open(ObjectKind::kNetns, source));
  for (size_t i = 0; i < kMapSpecs.size(); ++i) {
    bpf_map* m = obj->map(kMapSpecs[i].name);
    if (m == nullptr) return templateError(std::string("map ") + kMapSpecs[i].name + " missing");
    int err = bpf_map__reuse_fd(m, maps[i].get());
    if (err != 0) return libbpfError(std::string("reusing map ") + kMapSpecs[i].name, err);
  }
  bpf_program* prog = obj->program(kSkLookupProgram);
  if (prog == nullptr) return templateError("program kt_sk_lookup missing");
  // The marker's load becomes this namespace's cookie for the load, and the marker again in the
  // template. Relocation does not move the main program's instructions, so the index holds.
  std::vector<bpf_insn> raw(bpf_program__insns(prog),
                            bpf_program__insns(prog) + bpf_program__insn_cnt(prog));
  size_t cookieInsn = raw.size();
  for (size_t i = 0; i + 1 < raw.size(); ++i) {
    if (!isLoad64(raw[i])) continue;
    if (raw[i].src_reg == 0 && imm64(&raw[i]) == kCookieMarker) {
      if (cookieInsn != raw.size()) return templateError("a second namespace cookie marker");
      cookieInsn = i;
    }
    ++i;
  }
  if (cookieInsn == raw.size()) return templateError("no namespace cookie marker");
  setImm64(&raw[cookieInsn], netnsCookie);
  if (int err = bpf_program__set_insns(prog, raw.data(), raw.size()); err != 0) {
    return libbpfError("setting the namespace cookie of kt_sk_lookup", err);
  }
  KT_TRY(obj->load());
  // After the load, libbpf's copy holds the final instructions: maps relocated to its fds.
  const bpf_insn* insns = bpf_program__insns(prog);
  size_t count = bpf_program__insn_cnt(prog);
  if (insns == nullptr || count == 0 || count > kMaxSkLookupInsns) {
    return templateError(std::to_string(count) + " instructions (at most " +
                         std::to_string(kMaxSkLookupInsns) + ")");
  }
  auto tmpl = std::make_unique<SkLookupTemplate>();
  std::memset(tmpl.get(), 0, sizeof *tmpl);
  tmpl->magic = kSkLookupTemplateMagic;
  tmpl->layoutVersion = kLayoutVersion;
  tmpl->insnCount = static_cast<uint32_t>(count);
  std::memcpy(tmpl->insns, insns, count * sizeof(bpf_insn));
  if (cookieInsn + 1 >= count || !isLoad64(tmpl->insns[cookieInsn]) ||
      imm64(&tmpl->insns[cookieInsn]) != netnsCookie) {
    return templateError("the namespace cookie moved during relocation");
  }
  setImm64(&tmpl->insns[cookieInsn], kCookieMarker);
  bool cookieSeen = false;
  for (size_t i = 0; i < count; ++i) {
    bpf_insn* in = &tmpl->insns[i];
    if (!isLoad64(*in)) continue;
    if (i + 1 >= count) return templateError("truncated 64-bit load at the end");
    const std::string where = "instruction " + std::to_string(i);
    if (in->src_reg == BPF_PSEUDO_MAP_FD) {
      size_t index = kMapSpecs.size();
      for (size_t m = 0; m < kMapSpecs.size(); ++m) {
        if (bpf_map__fd(obj->map(kMapSpecs[m].name)) == in->imm) index = m;
      }
      if (index == kMapSpecs.size()) return templateError(where + " uses a map not shared");
      in->imm = static_cast<int32_t>(index);
    } else if (in->src_reg == 0 && imm64(in) == kCookieMarker) {
      if (cookieSeen) return templateError(where + ": a second namespace cookie marker");
      cookieSeen = true;
      tmpl->cookieInsn = static_cast<uint32_t>(i);
    } else if (in->src_reg != 0 && in->src_reg != BPF_PSEUDO_FUNC) {
      return templateError(where + " refers to kernel object kind " + std::to_string(in->src_reg) +
                           " (only the shared maps are allowed)");
    }
    ++i;  // the second half of the load
  }
  if (!cookieSeen) return templateError("no namespace cookie marker");
  int fd = ::fcntl(bpf_program__fd(prog), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return Error::system("duplicating the sk_lookup program fd", errno);
  return BuiltSkLookup{std::move(tmpl), sys::Fd(fd)};
}

Status pinSkLookupTemplate(const PinLayout& layout, const SkLookupTemplate& tmpl) {
  const MapSpec& spec = kSkLookupTemplateSpec;
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = spec.flags);
  sys::Fd fd(
      bpf_map_create(spec.type, spec.name, spec.keySize, spec.valueSize, spec.maxEntries, &opts));
  if (!fd) return Error::system("creating the kt_sk_lookup template map", errno);
  uint32_t key = 0;
  if (bpf_map_update_elem(fd.get(), &key, &tmpl, BPF_ANY) != 0) {
    return Error::system("writing the kt_sk_lookup template", errno);
  }
  if (bpf_map_freeze(fd.get()) != 0) {
    return Error::system("freezing the kt_sk_lookup template", errno);
  }
  std::string path = layout.map(spec.name);
  if (bpf_obj_pin(fd.get(), path.c_str()) != 0) return Error::system("pinning " + path, errno);
  return okStatus();
}

Result<sys::Fd> openSkLookupTemplate(const PinLayout& layout) {
  return openPinnedMap(layout, kSkLookupTemplateSpec);
}

Result<sys::Fd> loadSkLookup(const PinLayout& layout, const MapFds& maps, uint64_t netnsCookie) {
  KT_ASSIGN_OR_RETURN(sys::Fd map, openSkLookupTemplate(layout));
  auto tmpl = std::make_unique<SkLookupTemplate>();
  uint32_t key = 0;
  if (bpf_map_lookup_elem(map.get(), &key, tmpl.get()) != 0) {
    return Error::system("reading the kt_sk_lookup template " + layout.map(kSkLookupTemplateMap),
                         errno);
  }
  const uint32_t count = tmpl->insnCount;
  if (tmpl->magic != kSkLookupTemplateMagic || tmpl->layoutVersion != kLayoutVersion ||
      count == 0 || count > kMaxSkLookupInsns || tmpl->cookieInsn + 1 >= count ||
      !isLoad64(tmpl->insns[tmpl->cookieInsn]) ||
      imm64(&tmpl->insns[tmpl->cookieInsn]) != kCookieMarker) {
    return Error(ErrorKind::kUnsupported, "the pinned kt_sk_lookup template " +
                                              layout.map(kSkLookupTemplateMap) +
                                              " is not one this kuma-tproxy wrote")
        .hint("run `uninstall --ebpf-all` to remove the node's pins, then install again");
  }
  for (uint32_t i = 0; i + 1 < count; ++i) {
    bpf_insn* in = &tmpl->insns[i];
    if (!isLoad64(*in)) continue;
    if (in->src_reg == BPF_PSEUDO_MAP_FD) {
      if (in->imm < 0 || static_cast<size_t>(in->imm) >= kMapSpecs.size()) {
        return Error::runtime("the pinned kt_sk_lookup template names map index " +
                              std::to_string(in->imm));
      }
      in->imm = maps[static_cast<size_t>(in->imm)].get();
    }
    ++i;
  }
  setImm64(&tmpl->insns[tmpl->cookieInsn], netnsCookie);

  if (int fd = progLoad(*tmpl, nullptr, 0); fd >= 0) return sys::Fd(fd);
  int err = errno;
  // Load again for the verifier's reasons (only on failure: the log costs time).
  std::string log(1 << 20, '\0');
  sys::Fd retry(progLoad(*tmpl, log.data(), static_cast<uint32_t>(log.size())));
  log.resize(std::strlen(log.c_str()));
  std::string tail = log.size() > 2000 ? log.substr(log.size() - 2000) : log;
  if (!tail.empty()) spdlog::error("BPF verifier log of kt_sk_lookup:\n{}", tail);
  return Error::system("loading the pod's sk_lookup program", err)
      .hint(tail.empty() ? "loading needs CAP_SYS_ADMIN (or CAP_BPF + CAP_NET_ADMIN)"
                         : "the kernel rejected the program; the verifier log is above");
}

}  // namespace kt::backend::ebpf
