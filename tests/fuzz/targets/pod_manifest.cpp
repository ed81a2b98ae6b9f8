// A Pod object as JSON or YAML, read from stdin through config::load exactly as
// `--pod-manifest -` does.
#include "config/annotations.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  std::string text(fuzz::asText(data, size));
  config::LoadRequest req;
  req.podManifest = "-";
  req.readStdin = fuzz::stdinFrom(text);
  fuzz::checkLoad(config::load(req));

  config::Annotations out;
  config::Problems problems;
  config::readPodManifest(text, "pod.yaml", out, problems);
  for (const auto& [key, a] : out)
    if (!config::validAnnotationKey(key)) fuzz::fail("kept an invalid key", key);
  if (out.size() > config::kMaxAnnotations) fuzz::fail("more annotations than the limit");
  return 0;
}
