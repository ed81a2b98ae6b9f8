// Shared pieces of the fuzz targets (tests/fuzz/targets/*.cpp): quiet logging, in-memory files,
// input splitting, and the invariants every target asserts on the config stage's outcome.
//
// An invariant violation prints what was wrong to stderr and aborts, so libFuzzer (and the
// corpus replay driver) report it as a crash with the input that caused it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/facts.h"
#include "config/loader.h"
#include "sys/fd.h"

namespace kt::fuzz {

// Turns spdlog off (parsers warn about hostile input; the fuzzer's output is for findings).
// Idempotent; every target calls it first.
void quietLogging();

// Prints "fuzz invariant violated: what: detail" and aborts.
[[noreturn]] void fail(std::string_view what, std::string_view detail = {});

// The fuzzer's bytes as text.
inline std::string_view asText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits on `sep`, keeping empty fields.
std::vector<std::string> splitFields(std::string_view text, char sep);

// A file whose content lives in memory (memfd), readable by path as /proc/self/fd/N, so targets
// can drive the real path-taking entry points without touching the disk. The descriptor is
// closed when the object is destroyed.
class MemFile {
 public:
  static Result<MemFile> make(std::string_view content);
  const std::string& path() const { return path_; }

 private:
  MemFile(sys::Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  sys::Fd fd_;
  std::string path_;
};

// A LoadRequest whose stdin reader returns `stdinText` (at most maxBytes, else the reader's
// usual error). `stdinText` must outlive the request.
config::StdinReader stdinFrom(const std::string& stdinText);

// The contract of config::load / config::fromAnnotations on any input:
//  - an error is kConfig, its message is non-empty, starts with a header line and has no control
//    bytes other than the line breaks between problems (hostile values cannot forge lines);
//  - an accepted configuration renders (iptables dry-run text for both families and the nft
//    script) deterministically, with only the line shapes our renderers write, only our chains
//    and printable ASCII;
//  - every setting's canonical text (Setting::show) parses back to the same value.
void checkLoad(const Result<config::Loaded>& loaded);

// The rendering half of checkLoad for a configuration and the facts it is rendered with.
void checkRenders(const config::Config& cfg, config::Facts facts);

// Only the error half of checkLoad (parsers that return a plain kConfig Error).
void checkConfigError(const Error& e);

}  // namespace kt::fuzz
