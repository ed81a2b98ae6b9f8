// Replays fuzz corpora without libFuzzer (so the gcc CI build runs them as regression tests):
// every file named on the command line, or found in a directory named there, is passed once to
// LLVMFuzzerTestOneInput. A crash or __builtin_trap fails the test.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int replayFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    struct stat st {};
    if (::stat(argv[i], &st) != 0) {
      std::fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      count += replayFile(argv[i]);
      continue;
    }
    DIR* d = ::opendir(argv[i]);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') names.push_back(std::string(argv[i]) + "/" + e->d_name);
    ::closedir(d);
    for (const auto& n : names)
      count += replayFile(n);
  }
  std::printf("replayed %d inputs\n", count);
  return count > 0 ? 0 : 1;
}
