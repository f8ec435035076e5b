#include "base/yaml.h"

#include <gtest/gtest.h>

namespace teecloud {
namespace {

TEST(Yaml, ParsesComposeLikeDocument) {
  auto n = ParseYaml("services:\n  web:\n    image: busybox\n    ports: ['8080:80']\n    "
                     "environment:\n      DEBUG: 'true'\n      N: 3\n");
  ASSERT_TRUE(n);
  auto j = YamlToJson(*n);
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["services"]["web"]["image"], "busybox");
  EXPECT_EQ((*j)["services"]["web"]["ports"][0], "8080:80");
  EXPECT_EQ((*j)["services"]["web"]["environment"]["DEBUG"], "true");  // quoted stays a string
  EXPECT_EQ((*j)["services"]["web"]["environment"]["N"], 3);
}

TEST(Yaml, ErrorsCarryPosition) {
  auto n = ParseYaml("a: [1, 2\nb: 3\n");
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("line"), std::string::npos);
}

}  // namespace
}  // namespace teecloud
