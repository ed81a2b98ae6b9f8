#include "backend/ebpf/libbpf_util.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>

#include <spdlog/spdlog.h>

#include "base/strings.h"

namespace kt::backend::ebpf {

namespace {

thread_local LibbpfLogCapture* tCapture = nullptr;

int printToSpdlog(libbpf_print_level level, const char* format, va_list args) {
  char buf[2048];
  int n = std::vsnprintf(buf, sizeof buf, format, args);
  if (n < 0) return n;
  std::string text(buf);
  if (tCapture != nullptr && level == LIBBPF_WARN) tCapture->add(text);
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  if (text.empty()) return n;
  switch (level) {
    case LIBBPF_WARN:
      spdlog::warn("libbpf: {}", text);
      break;
    case LIBBPF_INFO:
      spdlog::debug("libbpf: {}", text);
      break;
    case LIBBPF_DEBUG:
      spdlog::trace("libbpf: {}", text);
      break;
  }
  return n;
}

}  // namespace

void installLibbpfLogBridge() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(printToSpdlog); });
}

LibbpfLogCapture::LibbpfLogCapture() {
  tCapture = this;
}

LibbpfLogCapture::~LibbpfLogCapture() {
  tCapture = nullptr;
}

void LibbpfLogCapture::add(const std::string& text) {
  partial_ += text;
  size_t pos;
  while ((pos = partial_.find('\n')) != std::string::npos) {
    lines_.push_back(partial_.substr(0, pos));
    partial_.erase(0, pos + 1);
  }
}

std::string LibbpfLogCapture::tail(size_t n) const {
  // Prefer the verifier's own log, between libbpf's BEGIN/END markers.
  size_t begin = lines_.size(), end = lines_.size();
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (lines_[i].find("-- BEGIN PROG LOAD LOG --") != std::string::npos) begin = i + 1;
    if (lines_[i].find("-- END PROG LOAD LOG --") != std::string::npos && i >= begin) end = i;
  }
  std::vector<std::string> pick;
  if (begin < end) {
    pick.assign(lines_.begin() + static_cast<long>(begin), lines_.begin() + static_cast<long>(end));
  } else {
    pick = lines_;
  }
  if (pick.size() > n) pick.erase(pick.begin(), pick.end() - static_cast<long>(n));
  return join(pick, "\n");
}

Error libbpfError(const std::string& what, int err) {
  if (err < 0) err = -err;
  if (err == 0) err = EINVAL;
  return Error::system(what, err);
}

}  // namespace kt::backend::ebpf
