// libbpf glue: RAII owners for libbpf objects, libbpf's log bridged into spdlog, and the capture
// of what libbpf said during one call (the verifier log) for error messages.
#pragma once

#include <bpf/libbpf.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace kt::backend::ebpf {

struct BpfLinkDeleter {
  void operator()(bpf_link* l) const { bpf_link__destroy(l); }
};
// Destroying a link that is not pinned detaches it; a pinned link stays in the kernel.
using BpfLinkPtr = std::unique_ptr<bpf_link, BpfLinkDeleter>;

// Routes libbpf's messages to spdlog (warn -> warn, info -> debug, debug -> trace). Idempotent.
void installLibbpfLogBridge();

// While alive, libbpf's warnings on this thread are also kept, so a failed load can quote the
// verifier log. Not nestable.
class LibbpfLogCapture {
 public:
  LibbpfLogCapture();
  ~LibbpfLogCapture();
  LibbpfLogCapture(const LibbpfLogCapture&) = delete;
  LibbpfLogCapture& operator=(const LibbpfLogCapture&) = delete;

  // The captured lines (trailing newlines removed).
  const std::vector<std::string>& lines() const { return lines_; }
  // The last `n` lines of the verifier log if one was captured, else of everything, joined.
  std::string tail(size_t n = 25) const;

  void add(const std::string& text);

 private:
  std::vector<std::string> lines_;
  std::string partial_;
};

// An Error for a libbpf call that returned a negative errno (or NULL with errno set).
Error libbpfError(const std::string& what, int err);

}  // namespace kt::backend::ebpf
