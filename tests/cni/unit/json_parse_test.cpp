#include <gtest/gtest.h>

#include "cni/json_parse.h"
#include "cni/net_conf.h"

namespace kt::cni {
namespace {

std::string nested(size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(JsonParse, AcceptsTheLimitAndRefusesOneLevelMore) {
  auto atLimit = parseJson(nested(kMaxJsonDepth), "test");
  ASSERT_TRUE(atLimit.ok()) << atLimit.error().message();
  auto over = parseJson(nested(kMaxJsonDepth + 1), "test");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().kind(), ErrorKind::kConfig);
  EXPECT_EQ(over.error().message(), "test nests deeper than 64 levels");
  // Objects count the same as arrays.
  std::string objects;
  for (size_t i = 0; i < kMaxJsonDepth; ++i)
    objects += "{\"a\":";
  objects += "1" + std::string(kMaxJsonDepth, '}');
  EXPECT_TRUE(parseOrderedJson(objects, "test").ok());
  EXPECT_FALSE(parseOrderedJson("[" + objects + "]", "test").ok());
}

TEST(JsonParse, HundredThousandLevelsAreRefusedWhileParsing) {
  auto r = parseJson(nested(100000), "deep");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("deeper than 64 levels"), std::string::npos);
}

TEST(JsonParse, SyntaxErrorsNameWhatWasParsed) {
  auto r = parseJson("{\"a\":", "the answer");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().rfind("the answer is not valid JSON: ", 0), 0u)
      << r.error().message();
}

TEST(JsonParse, StdinGoesThroughTheLimit) {
  std::string conf = R"({"cniVersion":"1.0.0","name":"n","type":"kuma-cni","prevResult":)" +
                     nested(100000, '[', ']') + "}";
  auto doc = decodeJson(conf);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.error().message().find("network configuration nests deeper"), std::string::npos);
}

}  // namespace
}  // namespace kt::cni
