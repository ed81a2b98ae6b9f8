// Runs the built kuma-tproxy binary (path from CMake) for what needs no kernel access: help,
// version, and bad input, which must exit 2 before anything is changed.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "base/strings.h"
#include "binary_run.h"
#include "config_test_support.h"
#include "support/text.h"
#include "version.h"

namespace kt::config {
namespace {

using Run = testing::BinaryRun;

// Runs the binary with `argv0` as its program name (stdin /dev/null, output captured).
Run run(const std::string& argv0, const std::vector<std::string>& args,
        const std::vector<std::string>& env = {}) {
  return testing::runBinaryAs(argv0, args, env);
}

Run tproxy(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  return run("kuma-tproxy", args, env);
}

using kt::testing::contains;

TEST(CliBinary, HelpEverywhere) {
  auto top = tproxy({"--help"});
  EXPECT_EQ(top.exitCode, 0) << top.err;
  for (const char* cmd : {"install", "verify", "uninstall", "version"})
    EXPECT_TRUE(contains(top.out, cmd)) << cmd;
  EXPECT_EQ(top.err, "");

  for (const char* cmd : {"install", "verify", "uninstall", "version"}) {
    auto r = tproxy({cmd, "--help"});
    EXPECT_EQ(r.exitCode, 0) << cmd << ": " << r.err;
    EXPECT_TRUE(contains(r.out, "Usage:")) << cmd;
  }
  auto install = tproxy({"install", "--help"});
  EXPECT_TRUE(contains(install.out, "--exclude-outbound-ports-for-uids"));
  auto uninstall = tproxy({"uninstall", "--help"});
  for (const char* f : {"--dry-run", "--verbose", "--netns", "--backend", "--ebpf-bpffs-path",
                        "--ebpf-cgroup-path", "--ebpf-all"}) {
    EXPECT_TRUE(contains(uninstall.out, f)) << f;
  }
  EXPECT_FALSE(contains(uninstall.out, "--redirect-dns"));
}

TEST(CliBinary, Version) {
  auto r = tproxy({"version"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out, "kuma-tproxy " KT_VERSION "\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliBinary, BadInputExitsTwoWithEveryProblemOnStderrAndNothingOnStdout) {
  auto r = tproxy(
      {"install", "--redirect-inbound-port", "abc", "--exclude-outbound-ips", "10.0.0.1/33",
       "--annotation", "kuma.io/gateway=maybe", "--exclude-outbound-ports-for-uids", "1,2,3"},
      {"KUMA_TRANSPARENT_PROXY_WAIT=soon"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "invalid configuration (5 problems):")) << r.err;
  for (const char* line : {
           "  - annotation kuma.io/gateway (--annotation): wrong value 'maybe': expected enabled, "
           "disabled, true, false, yes or no",
           "  - environment KUMA_TRANSPARENT_PROXY_WAIT: value 'soon' is not a valid number (an "
           "integer in [0, 600])",
           "  - flag --redirect-inbound-port: value 'abc' is not a valid port (uint16 in the "
           "range [1, 65535])",
           "  - flag --exclude-outbound-ips: invalid IP address: '10.0.0.1/33'. Expected format: "
           "<ip> or <ip>/<cidr> (e.g., 10.0.0.1, 172.16.0.0/16, fe80::1, fe80::/10)",
           "  - flag --exclude-outbound-ports-for-uids: invalid UID entry: '1,2,3'. It should "
           "either be a single item or a range",
           "hint: nothing was changed; correct the values named above and run again",
       }) {
    EXPECT_TRUE(contains(r.err, line)) << line << "\n--- stderr:\n" << r.err;
  }
}

TEST(CliBinary, BadLogOptionsAreReportedWithTheConfigurationProblems) {
  auto r = tproxy({"--log-level", "loud", "install", "--redirect-dns-port", "0"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err,
                       "--log-level: 'loud' is not one of trace, debug, info, warn, "
                       "error, off"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "flag --redirect-dns-port: value '0' is not a valid port")) << r.err;
}

TEST(CliBinary, JsonLogFormat) {
  auto r = tproxy({"install", "--log-format=json", "--wait", "x"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  for (auto line : split(r.err, '\n')) {
    if (line.empty()) continue;
    EXPECT_TRUE(startsWith(line, "{\"time\":\"")) << line;
    EXPECT_EQ(line.back(), '}') << line;
  }
}

TEST(CliBinary, ParseErrorsAreBadInput) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{},
                                             {"frobnicate"},
                                             {"install", "--no-such-flag"},
                                             {"install", "--dry-run", "false"},
                                             {"install", "--redirect-inbound-port"}}) {
    auto r = tproxy(args);
    EXPECT_EQ(r.exitCode, 2) << join(args, " ");
    EXPECT_EQ(r.out, "") << join(args, " ");
    EXPECT_FALSE(r.err.empty()) << join(args, " ");
  }
}

TEST(CliBinary, DisabledByAnnotationExitsZeroAndSaysSo) {
  auto r = tproxy({"install", "--annotation", "kuma.io/transparent-proxying=disabled"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err,
                       "transparent proxying is disabled by annotation "
                       "kuma.io/transparent-proxying (--annotation): nothing to install"))
      << r.err;
}

TEST(CliBinary, VerifyAndDryRunExcludeEachOther) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"install", "--verify", "--dry-run"}, {"verify", "--dry-run"}}) {
    auto r = tproxy(args);
    EXPECT_EQ(r.exitCode, 2) << join(args, " ");
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(contains(r.err, "--verify and --dry-run cannot be used together")) << r.err;
  }
  auto bad = tproxy({"install", "--verify=sometimes", "--wait=x"});
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_TRUE(contains(bad.err, "flag --verify: value 'sometimes' is not a boolean")) << bad.err;
  EXPECT_TRUE(contains(bad.err, "flag --wait: value 'x'")) << bad.err;
}

TEST(CliBinary, UninstallValidatesItsFlags) {
  auto r = tproxy({"uninstall", "--backend", "pf", "--ebpf-bpffs-path", "relative"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "flag --backend: value 'pf' is not a backend")) << r.err;
  EXPECT_TRUE(contains(r.err, "flag --ebpf-bpffs-path: value 'relative' is not an absolute path"))
      << r.err;
}

TEST(CliBinary, KumactlCompatibilityName) {
  auto r =
      run("/usr/bin/kumactl", {"install", "transparent-proxy", "--redirect-inbound-port", "x"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_TRUE(contains(r.err, "flag --redirect-inbound-port: value 'x' is not a valid port"))
      << r.err;

  auto help = run("kumactl", {"install", "transparent-proxy", "--help"});
  EXPECT_EQ(help.exitCode, 0) << help.err;
  EXPECT_TRUE(contains(help.out, "--redirect-all-dns-traffic"));

  auto uninstall = run("kumactl", {"uninstall", "transparent-proxy", "--backend=x"});
  EXPECT_EQ(uninstall.exitCode, 2);
  EXPECT_TRUE(contains(uninstall.err, "flag --backend: value 'x' is not a backend"))
      << uninstall.err;

  auto other = run("kumactl", {"get", "meshes"});
  EXPECT_EQ(other.exitCode, 2);
  EXPECT_EQ(other.out, "");
  EXPECT_TRUE(contains(other.err,
                       "as kumactl, only 'install transparent-proxy' and 'uninstall "
                       "transparent-proxy' are supported, not 'get meshes'"))
      << other.err;
  auto bare = run("kumactl", {"install", "--dry-run"});
  EXPECT_EQ(bare.exitCode, 2);
}

// A typo gets the nearest name (edit distance) for flags, subcommands, config-file keys and
// kuma.io annotation keys; errors stay errors (exit 2), warnings stay warnings.
TEST(CliBinary, MisspelledNamesGetDidYouMean) {
  auto flag = tproxy({"install", "--dry-run", "--exclude-outbound-port", "8080"});
  EXPECT_EQ(flag.exitCode, 2);
  EXPECT_EQ(flag.out, "");
  EXPECT_TRUE(contains(flag.err, "did you mean '--exclude-outbound-ports'?")) << flag.err;

  auto uninstallFlag = tproxy({"uninstall", "--dry-run", "--ebpf-bpffs-pth=/sys/fs/bpf"});
  EXPECT_EQ(uninstallFlag.exitCode, 2);
  EXPECT_TRUE(contains(uninstallFlag.err, "did you mean '--ebpf-bpffs-path'?"))
      << uninstallFlag.err;

  auto sub = tproxy({"instal", "--dry-run"});
  EXPECT_EQ(sub.exitCode, 2);
  EXPECT_TRUE(contains(sub.err, "did you mean 'install'?")) << sub.err;

  // Far from every name: no guess.
  auto far = tproxy({"install", "--completely-unrelated-words"});
  EXPECT_EQ(far.exitCode, 2);
  EXPECT_FALSE(contains(far.err, "did you mean")) << far.err;

  testing::TempFile file("redirect:\n  inbound:\n    prot: 15006\n", ".yaml");
  auto key = tproxy({"install", "--dry-run", "--config-file", file.path()});
  EXPECT_EQ(key.exitCode, 2);
  EXPECT_TRUE(contains(key.err, "unknown key redirect.inbound.prot")) << key.err;
  EXPECT_TRUE(contains(key.err, "did you mean 'redirect.inbound.port'?")) << key.err;

  auto annotation = tproxy(
      {"install", "--dry-run", "--annotation", "traffic.kuma.io/exclude-outbound-port=8080"});
  EXPECT_EQ(annotation.exitCode, 0) << annotation.err;
  EXPECT_TRUE(contains(annotation.err,
                       "unknown annotation, ignored (did you mean "
                       "'traffic.kuma.io/exclude-outbound-ports'?)"))
      << annotation.err;
}

// Hand-made annotation files may have Windows line endings: read like LF ones.
TEST(CliBinary, AnnotationsFileWithCrlfIsAccepted) {
  testing::TempFile crlf(
      "kuma.io/sidecar-uid=\"5678\"\r\ntraffic.kuma.io/exclude-outbound-ports=\"9090\"\r\n");
  testing::TempFile lf(
      "kuma.io/sidecar-uid=\"5678\"\ntraffic.kuma.io/exclude-outbound-ports=\"9090\"\n");
  auto a = tproxy({"install", "--dry-run", "--annotations-file", crlf.path()});
  auto b = tproxy({"install", "--dry-run", "--annotations-file", lf.path()});
  EXPECT_EQ(a.exitCode, 0) << a.err;
  EXPECT_EQ(b.exitCode, 0) << b.err;
  EXPECT_TRUE(contains(a.out, "9090")) << a.out;
  EXPECT_EQ(a.out, b.out);
}

// A file that is not a network namespace is bad input, not a privilege problem.
TEST(CliBinary, NetnsThatIsNotANetworkNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: the check runs after the privilege check";
  auto file = tproxy({"install", "--netns", "/etc/hostname"});
  EXPECT_EQ(file.exitCode, 2) << file.err;
  EXPECT_TRUE(contains(file.err, "/etc/hostname is not a network namespace")) << file.err;
  EXPECT_FALSE(contains(file.err, "CAP_SYS_ADMIN")) << file.err;

  auto other = tproxy({"install", "--netns", "/proc/self/ns/uts"});
  EXPECT_EQ(other.exitCode, 2) << other.err;
  EXPECT_TRUE(contains(other.err, "is a namespace, but not a network namespace")) << other.err;
}

}  // namespace
}  // namespace kt::config
