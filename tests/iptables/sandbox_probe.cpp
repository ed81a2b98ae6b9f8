// Stand-in for an iptables tool in the CNI sandbox test: prints what the tool would see.
//   lockfile=<XTABLES_LOCKFILE or "">
//   nsswitch=<"devnull" when /etc/nsswitch.conf is /dev/null, else "file">
//   mntns=<inode of the mount namespace>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <cstdlib>

int main() {
  const char* lock = std::getenv("XTABLES_LOCKFILE");
  struct stat ns {
  }, dn{}, nullDev{};
  bool devnull = ::stat("/etc/nsswitch.conf", &ns) == 0 && ::stat("/dev/null", &nullDev) == 0 &&
                 S_ISCHR(ns.st_mode) && ns.st_rdev == nullDev.st_rdev;
  ::stat("/proc/self/ns/mnt", &dn);
  std::printf("lockfile=%s\nnsswitch=%s\nmntns=%llu\n", lock ? lock : "",
              devnull ? "devnull" : "file", static_cast<unsigned long long>(dn.st_ino));
  return 0;
}
