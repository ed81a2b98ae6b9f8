// The downward-API annotations file (`key="value"` lines, Go-quoted), read by path through
// config::load exactly as --annotations-file does.
#include "config/annotations.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  auto text = fuzz::asText(data, size);
  auto file = fuzz::MemFile::make(text);
  if (!file) fuzz::fail("memfd", file.error().message());
  config::LoadRequest req;
  req.annotationsFile = file->path();
  fuzz::checkLoad(config::load(req));

  // The parser alone: every annotation it keeps has a valid key and a line inside the text.
  config::Annotations out;
  config::Problems problems;
  config::readAnnotationsFile(text, "annotations", out, problems);
  size_t lines = 1;
  for (char c : text)
    lines += c == '\n';
  for (const auto& [key, a] : out) {
    if (!config::validAnnotationKey(key)) fuzz::fail("kept an invalid key", key);
    if (a.source.line < 1 || static_cast<size_t>(a.source.line) > lines) {
      fuzz::fail("annotation line outside the text", key);
    }
  }
  if (out.size() > config::kMaxAnnotations) fuzz::fail("more annotations than the limit");
  return 0;
}
