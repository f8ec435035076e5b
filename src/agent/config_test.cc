#include "agent/config.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "testing/testing.h"

namespace teecloud::agent {
namespace {

Result<ParsedFlags> Parse(std::vector<std::string> args) {
  std::vector<const char*> argv = {"teecloud-agent"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return ParseFlags(static_cast<int>(argv.size()), argv.data());
}

TEST(ConfigTest, DefaultsServeBothDstackAndTeecloudSockets) {
  auto f = Parse({});
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->config.sockets,
            (std::vector<std::string>{"/var/run/dstack.sock", "/var/run/teecloud.sock"}));
  EXPECT_EQ(f->config.tee, "sim");
  EXPECT_EQ(f->config.key_provider, "local");
  EXPECT_EQ(f->config.EffectiveKeySeedFile(), "/var/lib/teecloud-agent/local-key-seed");
  EXPECT_FALSE(f->help);
}

TEST(ConfigTest, FlagsAndRepeatedSockets) {
  auto f = Parse({"--tee", "sim", "--sim-dir", "/s", "--socket", "/a.sock", "--socket", "/b.sock",
                  "--manifest", "/m.json", "--app-id", "00", "--key-provider", "local",
                  "--key-seed-file", "/seed", "--state-dir", "/st"});
  ASSERT_TRUE(f.has_value()) << f.error().ToString();
  EXPECT_EQ(f->config.sockets, (std::vector<std::string>{"/a.sock", "/b.sock"}));
  EXPECT_EQ(f->config.sim_dir, "/s");
  EXPECT_EQ(f->config.manifest_path, "/m.json");
  EXPECT_EQ(f->config.EffectiveKeySeedFile(), "/seed");
  EXPECT_EQ(f->config.state_dir, "/st");
}

TEST(ConfigTest, HelpAndErrors) {
  auto help = Parse({"--help"});
  ASSERT_TRUE(help.has_value());
  EXPECT_TRUE(help->help);
  EXPECT_NE(help->help_text.find("--sim-dir"), std::string::npos);
  EXPECT_FALSE(Parse({"--bogus"}).has_value());
  EXPECT_FALSE(Parse({"--tee", "sgx"}).has_value());
  EXPECT_FALSE(Parse({"--socket"}).has_value());
  EXPECT_FALSE(Parse({"positional"}).has_value());
}

TEST(ConfigTest, FileThenFlags) {
  const std::string dir = teecloud::testing::MakeTempDir();
  const std::string file = dir + "/agent.json";
  ASSERT_TRUE(WriteFileAtomic(
      file, AsBytes(R"({"sim_dir": "/from-file", "sockets": ["/f.sock"], "state_dir": "/fs",
                        "max_body_bytes": 2048})")));
  auto f = Parse({"--config", file, "--state-dir", "/flag"});
  ASSERT_TRUE(f.has_value()) << f.error().ToString();
  EXPECT_EQ(f->config.sim_dir, "/from-file");
  EXPECT_EQ(f->config.sockets, std::vector<std::string>{"/f.sock"});
  EXPECT_EQ(f->config.state_dir, "/flag");
  EXPECT_EQ(f->config.max_body_bytes, 2048u);
  ASSERT_TRUE(WriteFileAtomic(file, AsBytes(R"({"unknown": 1})")));
  EXPECT_FALSE(Parse({"--config", file}).has_value());
  EXPECT_FALSE(Parse({"--config", dir + "/missing.json"}).has_value());
}

TEST(ConfigTest, Validation) {
  const std::string dir = teecloud::testing::MakeTempDir();
  const std::string manifest = dir + "/app.json";
  ASSERT_TRUE(WriteFileAtomic(manifest, AsBytes("{}")));
  Config c;
  c.sim_dir = dir;
  c.manifest_path = manifest;
  c.state_dir = dir + "/state";
  EXPECT_TRUE(ValidateConfig(c).has_value());

  Config bad = c;
  bad.sim_dir = dir + "/nope";
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  bad = c;
  bad.sim_dir = "";
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  bad = c;
  bad.manifest_path = dir + "/missing.json";
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  bad = c;
  bad.app_id_hex = "abcd";
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  bad.app_id_hex = std::string(40, 'a');
  EXPECT_TRUE(ValidateConfig(bad).has_value());
  bad = c;
  bad.key_provider = "kms";
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  bad = c;
  bad.key_seed_file = dir + "/no-seed";
  auto missing_seed = ValidateConfig(bad);
  ASSERT_FALSE(missing_seed.has_value());
  EXPECT_NE(missing_seed.error().message.find("chmod 600"), std::string::npos);
  bad = c;
  bad.sockets.clear();
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  bad = c;
  bad.os_image_hash_hex = "12";
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  EXPECT_NE(Describe(c).find(manifest), std::string::npos);
}

}  // namespace
}  // namespace teecloud::agent
