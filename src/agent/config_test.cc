#include "agent/config.h"

#include <gtest/gtest.h>

#include <functional>

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

// A config that validates: sim dir, manifest and state dir in a fresh temp dir.
Config ValidConfig() {
  const std::string dir = teecloud::testing::MakeTempDir();
  const std::string manifest = dir + "/app.json";
  EXPECT_TRUE(WriteFileAtomic(manifest, AsBytes("{}")));
  Config c;
  c.sim_dir = dir;
  c.manifest_path = manifest;
  c.state_dir = dir + "/state";
  return c;
}

TEST(ConfigTest, Validation) {
  const Config c = ValidConfig();
  const std::string dir = c.sim_dir;
  const std::string manifest = c.manifest_path;
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

TEST(ConfigTest, AppRunnerFlags) {
  auto f = Parse({"--engine-socket", "/e.sock", "--project", "tc-x", "--volume-cipher-dir", "/c",
                  "--volume-mount-dir", "/m", "--port-map", "8080:18080", "--port-map",
                  "53:1053/udp", "--sealed-env", "/env.sealed", "--envexec", "/bin/envexec",
                  "--stop-timeout", "3"});
  ASSERT_TRUE(f.has_value()) << f.error().ToString();
  const Config& c = f->config;
  EXPECT_EQ(c.engine_socket, "/e.sock");
  EXPECT_EQ(c.project, "tc-x");
  EXPECT_EQ(c.volume_cipher_dir, "/c");
  EXPECT_EQ(c.volume_mount_dir, "/m");
  EXPECT_EQ(c.port_maps, (std::vector<std::string>{"8080:18080", "53:1053/udp"}));
  EXPECT_EQ(c.sealed_env_path, "/env.sealed");
  EXPECT_EQ(c.envexec_path, "/bin/envexec");
  EXPECT_EQ(c.stop_timeout_seconds, 3);
  EXPECT_NE(Describe(c).find("gocryptfs /c at /m"), std::string::npos);
}

TEST(ConfigTest, PortMaps) {
  auto m = ParsePortMap("8080:18080");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->cvm_port, 8080);
  EXPECT_EQ(m->host_port, 18080);
  EXPECT_EQ(m->protocol, "tcp");
  m = ParsePortMap("53:1053/udp");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->protocol, "udp");
  for (const char* bad : {"", "8080", "0:1", "1:0", "1:65536", "a:1", "1:2/sctp", "1:2:3", ":1",
                          "1:", "123456:1"}) {
    EXPECT_FALSE(ParsePortMap(bad).has_value()) << bad;
  }
}

TEST(ConfigTest, AppRunnerValidation) {
  const Config c = ValidConfig();
  const std::string dir = c.sim_dir;
  const std::string manifest = c.manifest_path;
  // Runner flags without an engine are a mistake, not silently ignored.
  for (auto set : std::vector<std::function<void(Config&)>>{
           [](Config& x) { x.port_maps = {"80:8080"}; },
           [](Config& x) { x.project = "p"; },
           [&](Config& x) { x.sealed_env_path = manifest; },
           [](Config& x) {
             x.volume_cipher_dir = "/c";
             x.volume_mount_dir = "/m";
           }}) {
    Config bad = c;
    set(bad);
    auto st = ValidateConfig(bad);
    ASSERT_FALSE(st.has_value());
    EXPECT_NE(st.error().message.find("needs --engine-socket"), std::string::npos)
        << st.error().message;
  }
  Config ok = c;
  ok.engine_socket = "/e.sock";
  ok.port_maps = {"80:8080"};
  EXPECT_TRUE(ValidateConfig(ok).has_value());
  Config bad = ok;
  bad.volume_cipher_dir = "/c";  // without the mount dir
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  bad = ok;
  bad.port_maps = {"80"};
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  bad = ok;
  bad.sealed_env_path = dir + "/missing";
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  bad = ok;
  bad.stop_timeout_seconds = -1;
  EXPECT_FALSE(ValidateConfig(bad).has_value());
}

}  // namespace
}  // namespace teecloud::agent
