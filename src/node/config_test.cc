#include "node/config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "node/node_client.h"
#include "testing/testing.h"

namespace teecloud::node {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = teecloud::testing::MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& text) {
    const std::string path = dir_ + "/node.yaml";
    EXPECT_TRUE(WriteFileAtomic(path, AsBytes(text)));
    return path;
  }
  std::string dir_;
};

TEST_F(ConfigTest, LoadsAFileAndCompletesDefaults) {
  auto c = LoadConfigFile(Write("data_dir: " + dir_ +
                                "/data\nlisten: 127.0.0.1:7400\n"
                                "supervise_interval_ms: 200\n"));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  ASSERT_TRUE(CompleteConfig(*c, "/opt/teecloud/bin/teecloud-node"));
  EXPECT_EQ(c->data_dir, dir_ + "/data");
  EXPECT_EQ(c->socket, dir_ + "/data/node.sock");
  EXPECT_EQ(c->agent_binary, "/opt/teecloud/bin/teecloud-agent");
  EXPECT_EQ(c->supervise_interval_ms, 200);
  const OrderedJson j = ConfigToJson(*c);
  EXPECT_EQ(j["listen"], "127.0.0.1:7400");
}

TEST_F(ConfigTest, RefusesUnknownSettingsAndWrongTypes) {
  auto unknown = LoadConfigFile(Write("listen: 127.0.0.1:1\nlisen: oops\n"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("unknown setting 'lisen'"), std::string::npos);
  auto wrong = LoadConfigFile(Write("http_threads: many\n"));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message.find("http_threads"), std::string::npos);
  EXPECT_FALSE(LoadConfigFile(dir_ + "/missing.yaml").has_value());
}

TEST_F(ConfigTest, OnlyLoopbackListenAddresses) {
  EXPECT_EQ(ParseListenAddress("127.0.0.1:7310").value(),
            std::make_pair(std::string("127.0.0.1"), 7310));
  EXPECT_EQ(ParseListenAddress("localhost:0").value(), std::make_pair(std::string("127.0.0.1"), 0));
  EXPECT_EQ(ParseListenAddress("[::1]:80").value(), std::make_pair(std::string("::1"), 80));
  EXPECT_EQ(ParseListenAddress("127.1.2.3:9").value().first, "127.1.2.3");
  for (const char* bad : {"0.0.0.0:7310", "10.0.0.1:80", "[::]:80", "example.com:80", "7310",
                          "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:x"}) {
    EXPECT_FALSE(ParseListenAddress(bad).has_value()) << bad;
  }
  auto e = ParseListenAddress("0.0.0.0:7310");
  EXPECT_NE(e.error().message.find("no authentication"), std::string::npos);
}

TEST_F(ConfigTest, ValidatesRanges) {
  Config c;
  c.data_dir = dir_;
  c.supervise_interval_ms = 1;
  EXPECT_FALSE(CompleteConfig(c, "/x/teecloud-node").has_value());
  Config off;
  off.data_dir = dir_;
  off.listen = "off";
  off.socket = "off";
  EXPECT_FALSE(CompleteConfig(off, "/x/teecloud-node").has_value());
  Config level;
  level.data_dir = dir_;
  level.log_level = "loud";
  EXPECT_FALSE(CompleteConfig(level, "/x/teecloud-node").has_value());
}

TEST(NodeEndpointTest, ParsesUrlsAndSocketPaths) {
  auto tcp = ParseNodeEndpoint("http://127.0.0.1:7310").value();
  EXPECT_FALSE(tcp.is_unix);
  EXPECT_EQ(tcp.host, "127.0.0.1");
  EXPECT_EQ(tcp.port, 7310);
  auto bare = ParseNodeEndpoint("localhost:9000").value();
  EXPECT_EQ(bare.host, "localhost");
  EXPECT_EQ(bare.port, 9000);
  auto sock = ParseNodeEndpoint("/var/lib/teecloud-node/node.sock").value();
  EXPECT_TRUE(sock.is_unix);
  EXPECT_EQ(sock.socket_path, "/var/lib/teecloud-node/node.sock");
  EXPECT_TRUE(ParseNodeEndpoint("unix:./node.sock").value().is_unix);
  EXPECT_TRUE(ParseNodeEndpoint("node.sock").value().is_unix);
  auto v6 = ParseNodeEndpoint("http://[::1]:7310/").value();
  EXPECT_EQ(v6.host, "::1");
  EXPECT_FALSE(ParseNodeEndpoint("https://x:1").has_value());
  EXPECT_FALSE(ParseNodeEndpoint("http://x:0").has_value());
  EXPECT_FALSE(ParseNodeEndpoint("").has_value());
}

}  // namespace
}  // namespace teecloud::node
