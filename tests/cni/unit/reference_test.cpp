// docs/cni.md holds the settings tables exactly as the code renders them (the same tables
// `cni --help` and `cni-install --help` print), so the two cannot drift apart.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cni/reference.h"

namespace kt::cni {
namespace {

std::string docsSection(const std::string& doc, const std::string& id) {
  const std::string begin = "<!-- settings:" + id + " -->\n";
  const std::string end = "<!-- end settings:" + id + " -->";
  auto b = doc.find(begin);
  auto e = doc.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) return "(section missing)";
  return doc.substr(b + begin.size(), e - b - begin.size());
}

TEST(SettingsReference, DocsHoldTheRenderedTables) {
  std::ifstream in(KT_DOCS_CNI_MD);
  ASSERT_TRUE(in) << KT_DOCS_CNI_MD;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (const SettingTable* t :
       {&pluginEnvironment(), &networkConfigKeys(), &installerEnvironment()}) {
    EXPECT_EQ(docsSection(doc, t->id), renderMarkdown(*t))
        << "docs/cni.md: replace the section between <!-- settings:" << t->id
        << " --> and <!-- end settings:" << t->id << " --> with the expected text above";
  }
}

TEST(SettingsReference, MarkdownKeepsNamesAsCode) {
  static constexpr SettingRow rows[] = {
      {"A_B", "(required)", "replaces __X__ in $DIR/file, see /etc/cni."},
      {"c", "0", "plain words"},
  };
  SettingTable t{"t", "T", rows};
  EXPECT_EQ(renderMarkdown(t),
            "| Name | Default | Meaning |\n|---|---|---|\n"
            "| `A_B` | required | replaces `__X__` in `$DIR/file`, see `/etc/cni`. |\n"
            "| `c` | `0` | plain words |\n");
}

}  // namespace
}  // namespace kt::cni
