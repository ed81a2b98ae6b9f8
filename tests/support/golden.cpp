#include "support/golden.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/text.h"

namespace kt::golden {

namespace {

bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return testing::contains(l, what); });
}

// The first differing line, for a readable failure.
std::string firstDifference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ha = static_cast<bool>(std::getline(a, la)), hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "(only the final newline differs)";
    if (ha != hb || la != lb) {
      return "line " + std::to_string(line) + ":\n  expected: " + (ha ? la : "<end>") +
             "\n  actual:   " + (hb ? lb : "<end>");
    }
  }
}

std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

Scenario parseScenario(const std::string& name, const std::string& text, std::string* error) {
  Scenario s;
  s.name = name;
  enum class Section { kFlags, kAnnotations, kResolvConf } section = Section::kFlags;
  std::istringstream in(text);
  std::string raw;
  while (std::getline(in, raw)) {
    std::string line = trimmed(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line == "[annotations]") {
      section = Section::kAnnotations;
      continue;
    }
    if (line == "[resolv.conf]") {
      section = Section::kResolvConf;
      s.resolvConf = std::string();
      continue;
    }
    if (line.front() == '[' && line.back() == ']') {
      if (error) *error = "unknown section " + line;
      continue;
    }
    switch (section) {
      case Section::kFlags:
        s.flags.push_back(line);
        break;
      case Section::kAnnotations:
        s.annotations.push_back(line);
        break;
      case Section::kResolvConf:
        *s.resolvConf += line + "\n";
        break;
    }
  }
  return s;
}

std::vector<std::string> filesEndingWith(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > suffix.size() &&
          n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(n);
      }
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> scenarioNames(const std::string& goldenDir) {
  const std::string ext = ".scenario";
  std::vector<std::string> out = filesEndingWith(goldenDir + "/scenarios", ext);
  for (auto& n : out)
    n.resize(n.size() - ext.size());
  return out;
}

std::string readFile(const std::string& path, bool* ok) {
  std::ifstream in(path);
  if (ok) *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Scenario loadScenario(const std::string& goldenDir, const std::string& name, std::string* error) {
  return parseScenario(name, readFile(goldenDir + "/scenarios/" + name + ".scenario"), error);
}

ScenarioArgs::ScenarioArgs(const Scenario& s) {
  if (!mentions(s.flags, "--kuma-dp-u") && !mentions(s.annotations, "kuma.io/sidecar-uid")) {
    args_.push_back("--kuma-dp-user=5678");
  }
  args_.insert(args_.end(), s.flags.begin(), s.flags.end());
  for (const auto& a : s.annotations) {
    args_.push_back("--annotation");
    args_.push_back(a);
  }
  if (s.resolvConf) {
    static std::atomic<int> counter{0};
    std::string stem = "/tmp/kt-golden-" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter.fetch_add(1)) + "-" + s.name;
    std::string resolv = stem + ".resolv.conf", config = stem + ".yaml";
    tempFiles_ = {resolv, config};
    std::ofstream(resolv) << *s.resolvConf;
    std::ofstream(config) << "redirect:\n  dns:\n    resolvConfigPath: " << resolv << "\n";
    args_.push_back("--config-file");
    args_.push_back(config);
  }
}

ScenarioArgs::~ScenarioArgs() {
  for (const auto& p : tempFiles_)
    ::unlink(p.c_str());
}

DryRun::DryRun(const Scenario& s, const std::string& binary, const std::string& backend,
               const std::vector<std::string>& extraArgs)
    : scenario_(s) {
  request_.path = binary;
  request_.args = {"install", "--dry-run", "--backend", backend};
  request_.args.insert(request_.args.end(), extraArgs.begin(), extraArgs.end());
  request_.args.insert(request_.args.end(), scenario_.args().begin(), scenario_.args().end());
}

void expectMatchesExpected(const std::string& goldenDir, const std::string& file,
                           const std::string& actual) {
  std::string path = goldenDir + "/expected/" + file;
  if (const char* update = std::getenv("KT_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path) << actual;
    return;
  }
  bool exists = false;
  std::string expected = readFile(path, &exists);
  ASSERT_TRUE(exists) << path << " is missing; run scripts/update-golden.sh";
  EXPECT_TRUE(expected == actual)
      << file << " differs from the dry-run output at " << firstDifference(expected, actual)
      << "\nIf the change is intended, run scripts/update-golden.sh and review the diff.";
}

std::string testName(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return text;
}

}  // namespace kt::golden
