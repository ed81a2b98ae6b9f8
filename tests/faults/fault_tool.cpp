// kt_fault_tool: stands in for an iptables tool in the fault tests. A StubDir puts it first in
// PATH under the tool's name (a symlink, e.g. ip6tables-nft-restore); it then behaves as the
// environment says and otherwise runs the real tool of that name from /usr/sbin, /sbin,
// /usr/bin or /bin with the same arguments and stdin.
//
//   KT_FAULT_TOOL_MODE=fail   read stdin, then fail like a kernel rejection would (exit 1)
//   KT_FAULT_TOOL_MODE=pause  the first invocation (KT_FAULT_TOOL_STARTED does not exist yet)
//                             creates KT_FAULT_TOOL_STARTED, waits until KT_FAULT_TOOL_GO
//                             exists, then runs the real tool; later ones run it at once
//
// `--version` always goes to the real tool.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

[[noreturn]] void runReal(const std::string& name, char** argv) {
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    std::string real = std::string(dir) + "/" + name;
    if (::access(real.c_str(), X_OK) == 0) {
      ::execv(real.c_str(), argv);  // argv[0] stays the tool's name: multi-call binaries need it
    }
  }
  std::fprintf(stderr, "kt_fault_tool: no real %s found\n", name.c_str());
  std::exit(127);
}

}  // namespace

int main(int argc, char** argv) {
  std::string self = argv[0];
  std::string name = self.substr(self.rfind('/') + 1);
  bool version = false;
  for (int i = 1; i < argc; ++i)
    version = version || std::strcmp(argv[i], "--version") == 0;
  std::string mode = env("KT_FAULT_TOOL_MODE");
  if (version || mode.empty()) runReal(name, argv);

  if (mode == "fail") {
    char buf[4096];
    while (::read(0, buf, sizeof buf) > 0) {
    }
    std::fprintf(stderr, "%s: line 2 failed: Invalid argument (injected by kt_fault_tool)\n",
                 name.c_str());
    return 1;
  }
  if (mode == "pause") {
    std::string started = env("KT_FAULT_TOOL_STARTED"), go = env("KT_FAULT_TOOL_GO");
    int fd = ::open(started.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
      // Bounded so a broken test cannot leave this process behind forever.
      for (int i = 0; i < 60000 && !exists(go); ++i)
        ::usleep(1000);
    }
    runReal(name, argv);
  }
  std::fprintf(stderr, "kt_fault_tool: unknown KT_FAULT_TOOL_MODE %s\n", mode.c_str());
  return 2;
}
