#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "config/cli.h"

namespace kt::config {
namespace {

// Parses `args` (without the program name) with the install flags on an "install" subcommand.
struct Parsed {
  CLI::App app{"test"};
  CLI::App* install = app.add_subcommand("install");
  InstallFlags flags{*install};

  void parse(std::vector<std::string> args) {
    args.insert(args.begin(), "install");
    std::vector<const char*> argv{"kuma-tproxy"};
    for (const auto& a : args)
      argv.push_back(a.c_str());
    app.parse(static_cast<int>(argv.size()), argv.data());
  }
};

TEST(CliFlags, FlagsArePassedThroughAsTextInOrder) {
  Parsed p;
  p.parse({"--redirect-inbound-port", "abc", "--redirect-dns", "--exclude-outbound-ips=10.0.0.1",
           "--redirect-inbound=false", "--exclude-outbound-ips", "fd00::1", "--wait=-3",
           "--exclude-outbound-ports-for-uids", "tcp:80:1", "--kuma-dp-uid", "5",
           "--redirect-inbound-port", "7"});
  auto req = p.flags.request();
  EXPECT_EQ(req.flags, (std::vector<FlagValue>{
                           {"--redirect-inbound-port", "abc"},
                           {"--redirect-dns", "true"},
                           {"--exclude-outbound-ips", "10.0.0.1"},
                           {"--redirect-inbound", "false"},
                           {"--exclude-outbound-ips", "fd00::1"},
                           {"--wait", "-3"},
                           {"--exclude-outbound-ports-for-uids", "tcp:80:1"},
                           {"--kuma-dp-uid", "5"},
                           {"--redirect-inbound-port", "7"},
                       }));
}

TEST(CliFlags, BooleanFlagsTakeOnlyAttachedValues) {
  Parsed p;
  p.parse({"--dry-run", "--verbose=maybe", "--iptables-logs=false"});
  EXPECT_EQ(p.flags.request().flags,
            (std::vector<FlagValue>{
                {"--dry-run", "true"}, {"--verbose", "maybe"}, {"--iptables-logs", "false"}}));
  // As with Go's pflag, `--flag false` does not give the flag a value.
  Parsed q;
  EXPECT_THROW(q.parse({"--dry-run", "false"}), CLI::ParseError);
}

TEST(CliFlags, InputsAndModeFlags) {
  Parsed p;
  p.parse({"--config-file", "-", "--annotations-file=/etc/podinfo/annotations", "--pod-manifest",
           "pod.json", "--annotation", "kuma.io/gateway=enabled", "--annotation=a=b=c", "--verify",
           "--log-level", "debug", "--log-format=json"});
  auto req = p.flags.request();
  EXPECT_TRUE(req.flags.empty());
  EXPECT_EQ(req.configFile, "-");
  EXPECT_EQ(req.annotationsFile, "/etc/podinfo/annotations");
  EXPECT_EQ(req.podManifest, "pod.json");
  EXPECT_EQ(req.annotations, (std::vector<std::string>{"kuma.io/gateway=enabled", "a=b=c"}));
  EXPECT_TRUE(*p.flags.verify());
  EXPECT_EQ(p.flags.logLevel(), "debug");
  EXPECT_EQ(p.flags.logFormat(), "json");

  Parsed q;
  q.parse({"--verify=nope"});
  auto v = q.flags.verify();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().kind(), ErrorKind::kConfig);
  EXPECT_EQ(v.error().message(), "flag --verify: value 'nope' is not a boolean (true or false)");
  Parsed none;
  none.parse({});
  EXPECT_FALSE(*none.flags.verify());
  EXPECT_EQ(none.flags.logLevel(), "");
}

TEST(CliFlags, UnknownFlagsAndMissingValuesAreParseErrors) {
  Parsed p;
  EXPECT_THROW(p.parse({"--no-such-flag"}), CLI::ParseError);
  Parsed q;
  EXPECT_THROW(q.parse({"--redirect-inbound-port"}), CLI::ParseError);
}

TEST(CliFlags, HelpListsEveryFlag) {
  Parsed p;
  std::string help = p.install->help();
  for (const char* f : {"--redirect-outbound-port", "--redirect-inbound-port-v6", "--kuma-dp-uid",
                        "--exclude-outbound-ports-for-uids", "--sleep-between-retries", "--backend",
                        "--annotations-file", "--pod-manifest", "--annotation", "--config-file",
                        "--netns", "--verify", "--log-level", "--log-format"}) {
    EXPECT_NE(help.find(f), std::string::npos) << f;
  }
  EXPECT_NE(help.find("(default 15006)"), std::string::npos);
  EXPECT_NE(help.find("deprecated alias of --kuma-dp-user"), std::string::npos);
}

TEST(CliFlags, SettingFlagsSubset) {
  CLI::App app{"test"};
  auto* cmd = app.add_subcommand("uninstall");
  SettingFlags flags(*cmd, {"--dry-run", "--backend"});
  std::vector<const char*> argv{"x", "uninstall", "--backend=nftables", "--dry-run"};
  app.parse(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(flags.given(),
            (std::vector<FlagValue>{{"--backend", "nftables"}, {"--dry-run", "true"}}));
  std::vector<const char*> bad{"x", "uninstall", "--redirect-dns"};
  CLI::App app2{"test"};
  auto* cmd2 = app2.add_subcommand("uninstall");
  SettingFlags flags2(*cmd2, {"--dry-run"});
  EXPECT_THROW(app2.parse(static_cast<int>(bad.size()), bad.data()), CLI::ParseError);
}

TEST(CliFlags, FlagFilterWantsTheNamedFlagsOrAllForHelp) {
  auto f = FlagFilter::namedIn(
      {"kuma-tproxy", "install", "--dry-run", "--exclude-outbound-ips=10.0.0.1", "x", "-v"});
  EXPECT_TRUE(f.wants("--dry-run"));
  EXPECT_TRUE(f.wants("--exclude-outbound-ips"));
  EXPECT_FALSE(f.wants("--redirect-dns"));
  EXPECT_FALSE(f.wants("--exclude-outbound-ips=10.0.0.1"));
  for (const char* help : {"-h", "--help"}) {
    auto h = FlagFilter::namedIn({"kuma-tproxy", "install", help});
    EXPECT_TRUE(h.wants("--redirect-dns")) << help;
  }
  EXPECT_TRUE(FlagFilter::all().wants("--anything"));
}

// What a parse produced: the request's fields, or the parse error.
struct Outcome {
  std::string error;
  std::vector<FlagValue> flags;
  std::string configFile, annotationsFile, podManifest, logLevel, logFormat;
  std::vector<std::string> annotations;
  std::string verify;

  bool operator==(const Outcome&) const = default;
};

Outcome parseWith(bool onlyNamed, const std::vector<std::string>& args) {
  std::vector<std::string> full = {"kuma-tproxy", "install"};
  full.insert(full.end(), args.begin(), args.end());
  CLI::App app{"test"};
  CLI::App* install = app.add_subcommand("install");
  InstallFlags flags(*install, onlyNamed ? FlagFilter::namedIn(full) : FlagFilter::all());
  std::vector<const char*> argv;
  for (const auto& a : full)
    argv.push_back(a.c_str());
  Outcome o;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    o.error = std::string(e.get_name()) + ": " + e.what();
    return o;
  }
  auto req = flags.request();
  o.flags = req.flags;
  o.configFile = req.configFile;
  o.annotationsFile = req.annotationsFile;
  o.podManifest = req.podManifest;
  o.annotations = req.annotations;
  o.logLevel = flags.logLevel();
  o.logFormat = flags.logFormat();
  auto v = flags.verify();
  o.verify = v ? (*v ? "true" : "false") : v.error().message();
  return o;
}

// Registering only the named flags must not change any result or error of a parse.
TEST(CliFlags, RegisteringOnlyTheNamedFlagsParsesTheSame) {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"--redirect-inbound-port", "abc", "--redirect-dns", "--exclude-outbound-ips=10.0.0.1",
       "--redirect-inbound=false", "--exclude-outbound-ips", "fd00::1", "--wait=-3",
       "--kuma-dp-uid", "5", "--kuma-dp-user=6", "--redirect-inbound-port", "7"},
      {"--config-file", "-", "--annotations-file=/a", "--pod-manifest", "pod.json", "--annotation",
       "k=v", "--annotation=a=b=c", "--verify=nope", "--log-level", "debug", "--log-format=json"},
      {"--dry-run", "false"},
      {"--no-such-flag"},
      {"--no-such-flag=1", "--dry-run"},
      {"--redirect-inbound-port"},
      {"--exclude-outbound-ips", "--redirect-dns"},
      {"--netns", "--dry-run=--verbose"},
      {"--dry-run", "--", "--verbose"},
      {"positional"},
      {"-x"},
      {"---dry-run"},
  };
  for (const auto& args : cases) {
    std::string shown;
    for (const auto& a : args)
      shown += " " + a;
    Outcome full = parseWith(false, args), named = parseWith(true, args);
    EXPECT_EQ(named, full) << "arguments:" << shown << "\nwith every flag: " << full.error
                           << "\nwith the named flags: " << named.error;
  }
}

}  // namespace
}  // namespace kt::config
