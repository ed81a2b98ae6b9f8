// The built binary as the CNI plugin (`kuma-tproxy cni`) and its help, run as a process: hostile
// stdin, the log file, and the settings listed by --help. No root, no network.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cni/reference.h"
#include "process.h"

namespace kt::cni::test {
namespace {

using nlohmann::json;

struct Outcome {
  std::optional<int> exitCode;
  std::string out, err;
};

class PluginProcess : public ::testing::Test {
 protected:
  PluginProcess() : tmp_("plugin") {}

  Outcome run(std::vector<std::string> args, const std::string& stdinText,
              std::vector<std::pair<std::string, std::string>> env = {}) {
    spit(tmp_ / "stdin", stdinText);
    ::unlink((tmp_ / "stdout").c_str());
    ::unlink((tmp_ / "stderr").c_str());
    ChildOptions o;
    o.argv = {KT_TPROXY_BINARY};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = std::move(env);
    o.stdinFile = tmp_ / "stdin";
    o.stdoutFile = tmp_ / "stdout";
    o.stderrFile = tmp_ / "stderr";
    Child c(o);
    Outcome r;
    r.exitCode = c.wait(std::chrono::seconds(60));
    r.out = slurp(tmp_ / "stdout");
    r.err = slurp(tmp_ / "stderr");
    return r;
  }

  // A CNI invocation of `command` that needs no API server and no namespace of its own.
  static std::vector<std::pair<std::string, std::string>> cniEnv(const std::string& command) {
    return {{"CNI_COMMAND", command},
            {"CNI_CONTAINERID", "c1"},
            {"CNI_NETNS", "/proc/self/ns/net"},
            {"CNI_IFNAME", "eth0"},
            {"CNI_PATH", "/opt/cni/bin"}};
  }

  TempDir tmp_;
};

// A prevResult nested 100 000 deep fits under the stdin limit; it must be refused while parsing
// (CNI error 6), not crash the plugin while the tree is copied.
TEST_F(PluginProcess, DeeplyNestedPrevResultIsADecodingError) {
  constexpr int kDepth = 100000;
  std::string deep = std::string(kDepth, '[') + std::string(kDepth, ']');
  std::string conf =
      R"({"cniVersion":"1.0.0","name":"n","type":"kuma-cni","prevResult":{"x":)" + deep + "}}";
  for (const char* command : {"ADD", "DEL", "CHECK"}) {
    auto r = run({"cni"}, conf, cniEnv(command));
    ASSERT_TRUE(r.exitCode.has_value()) << command;
    EXPECT_EQ(*r.exitCode, 1) << command << " (128 + signal means it crashed)\n" << r.err;
    auto reply = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(reply.is_object()) << command << ": " << r.out;
    EXPECT_EQ(reply["code"], 6) << r.out;
    EXPECT_NE(reply.value("details", "").find("deeper than 64 levels"), std::string::npos) << r.out;
  }
}

TEST_F(PluginProcess, LogFileIsNeverReachedThroughASymlink) {
  spit(tmp_ / "victim", "untouched\n");
  ASSERT_EQ(::symlink((tmp_ / "victim").c_str(), (tmp_ / "kuma-cni.log").c_str()), 0);
  json conf = {{"cniVersion", "1.0.0"},
               {"name", "n"},
               {"type", "kuma-cni"},
               {"log_file", tmp_ / "kuma-cni.log"}};
  auto env = cniEnv("DEL");
  env[2].second = "";  // DEL without a namespace: nothing to do, but it logs
  auto r = run({"cni"}, conf.dump(), env);
  ASSERT_TRUE(r.exitCode.has_value());
  EXPECT_EQ(*r.exitCode, 0) << r.out << r.err;
  EXPECT_EQ(slurp(tmp_ / "victim"), "untouched\n") << "the link was followed";
  struct stat st {};
  ASSERT_EQ(::lstat((tmp_ / "kuma-cni.log").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_NE(r.err.find("is a symbolic link, which is not followed"), std::string::npos) << r.err;
}

TEST_F(PluginProcess, NewLogFileIsPrivate) {
  json conf = {
      {"cniVersion", "1.0.0"}, {"name", "n"}, {"type", "kuma-cni"}, {"log_file", tmp_ / "new.log"}};
  auto env = cniEnv("DEL");
  env[2].second = "";
  auto r = run({"cni"}, conf.dump(), env);
  ASSERT_TRUE(r.exitCode.has_value());
  EXPECT_EQ(*r.exitCode, 0) << r.out << r.err;
  struct stat st {};
  ASSERT_EQ(::stat((tmp_ / "new.log").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(slurp(tmp_ / "new.log").find("nothing to clean up"), std::string::npos);
}

// --help is requested output: stdout, exit 0, every setting of the tables with its default.
void expectListed(const Outcome& r, const SettingTable& table) {
  ASSERT_TRUE(r.exitCode.has_value());
  EXPECT_EQ(*r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find(table.title), std::string::npos) << r.out;
  for (const auto& row : table.rows) {
    EXPECT_NE(r.out.find(row.name), std::string::npos) << row.name << "\n" << r.out;
    EXPECT_NE(r.out.find(std::string("default ") + row.defaultValue), std::string::npos)
        << row.name << "\n"
        << r.out;
  }
}

TEST_F(PluginProcess, HelpListsTheEnvironmentAndTheNetworkConfiguration) {
  auto r = run({"cni", "--help"}, "");
  expectListed(r, pluginEnvironment());
  expectListed(r, networkConfigKeys());
  EXPECT_NE(r.out.find("kubernetes.total_timeout_ms"), std::string::npos);
}

TEST_F(PluginProcess, InstallerHelpListsItsVariables) {
  auto r = run({"cni-install", "--help"}, "");
  expectListed(r, installerEnvironment());
}

}  // namespace
}  // namespace kt::cni::test
